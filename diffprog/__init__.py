"""diffprog: differentiable programming with hand-written backprop.

- diffprog.ops: autograd Functions twinned with torch.nn.functional, backward written by hand.
- diffprog.nn: nn.Module wrappers; to_diffprog(model) runs any torch model on them.
- diffprog.optim: SGD (lecture momentum, Nesterov), Adam, AdamW.
- diffprog.check: verify any Function against autograd and finite differences.
- diffprog.lecture: the lecture's worked backprop example.
- diffprog.optvis: input optimization (unit visualization): objectives, parameterizations,
  transforms, the render loop.
- diffprog.models: the embedded shapes classifier, CIFAR ResNets, torchvision models by name.
- diffprog.data: procedural data sets (shapes and textures, two spirals).
"""
__version__ = "0.1.0"
