"""diffprog: differentiable programming with hand-written backprop.

- diffprog.ops: autograd Functions twinned with torch.nn.functional, backward written by hand.
- diffprog.nn: nn.Module wrappers; to_diffprog(model) runs any torch model on them.
- diffprog.optim: SGD (lecture momentum, Nesterov), Adam, AdamW.
- diffprog.check: verify any Function against autograd and finite differences.
- diffprog.lecture: the lecture's worked backprop example.
"""
__version__ = "0.1.0"
