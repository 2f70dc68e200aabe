"""Actors and their relations: communities here, remote actors, accounts, follows, RSVPs, visibility."""
