"""Translation backends: segments in, segments out. protocol.py says what a backend must offer; base.py
(any model) and prompted.py (a decoder-only LM behind a prompt) are the classes to build one on. Each other
file holds one backend; conf/backend/ names them."""
