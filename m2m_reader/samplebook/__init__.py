"""The sample book: an original short manga drawn procedurally, written as Manga109.

Run ``python -m m2m_reader.samplebook OUT_ROOT`` to regenerate it; the committed copy
lives in ``resources/sample``.
"""
