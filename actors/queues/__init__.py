"""The delivery and inbox queues: leases, retries and backoff, and sending an activity."""
