"""The real models: MusicGen (music) and CLIP (face emotions), with their loading,
devices and weights. Importing this package does not import torch; each module does
when it is used, so the engine runs without the `models` extra.
"""
