"""Everything an instance knows and does, in five layers (each imports only those before it):

- ``storage``: settings, the ``Instance`` (engine, clock, caches), tables, migrations, stored text
- ``queues``: the delivery and inbox queues, their leases, and sending an activity
- ``social``: local and remote actors, accounts, follows, RSVPs, who may see what
- ``feed``: what readers find: the feed actor's aggregation, remote objects, search, the feed
  query and the venue finder
- ``publishing``: validating, storing and announcing what organisers publish, image uploads
"""
