__version__ = "0.1.0"

# `CaliSketch.from_pretrained` is defined by the pretrained chapter (31) on the pipeline's class (30): importing it
# here makes it there whichever module a user imports first.
from cali_sketch import pretrained as _pretrained  # noqa: E402,F401
