"""Translation backends: segments in, segments out. Each file holds one backend; conf/backend/ names them."""
