"""What organisers publish: validation of bodies, storing and announcing objects, image uploads."""
