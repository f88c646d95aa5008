"""diffprog: differentiable programming with hand-written backprop.

Ground floor (imports nothing above it):
- diffprog.ops: autograd Functions twinned with torch.nn.functional, backward written by hand.
- diffprog.nn: nn.Module wrappers; to_diffprog(model) runs any torch model on them.
- diffprog.optim: SGD (lecture momentum, Nesterov), Adam, AdamW.
- diffprog.data: procedural data sets (shapes and textures, captioned scenes, two spirals, landscape).
- diffprog.io, diffprog.plots: images and figures in and out, written atomically.
- diffprog.steps: the one step loop; diffprog.devices: the one device rule;
  diffprog.imaging: a network's InputSpec, the one resize and normalize.

Above it:
- diffprog.check: verify any Function against autograd and finite differences.
- diffprog.lecture: the lecture's worked backprop example and its demos' networks and loop.
- diffprog.models: architectures and loaders (embedded models, CIFAR ResNets, torchvision, CLIPs).
- diffprog.training: the trainers of the embedded models.
- diffprog.optvis: input optimization: objectives, parameterizations, transforms, the render loop,
  unit visualization, DeepDream, CLIP guidance, transfer quality.
- diffprog.cli: what the command lines in scripts/ share.
"""
__version__ = "0.1.0"
