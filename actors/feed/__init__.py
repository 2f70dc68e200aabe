"""What readers find: the feed actor's aggregation, remote objects, search, feed query, venue finder."""
