"""The command lines: the `diffprog` command (main.py) and each of its tools (visualize.py, dream.py,
clip.py, backprop.py, train_*.py; scripts/ holds one-line launchers of the same programs), and what
they share, kept out of the library: options and their checks, the device a user names, the --units
grammar, and the files every run writes.

- options.py: --device/--amp/--compile and the RunSettings they make.
- device.py: the device named by --device, checked before any work.
- units.py: the --units grammar ('all', '7', '0-63', '1,3,5-7').
- outputs.py: a run's images, JSON and pictures (contact sheet, objective curve, GIF), atomically.
"""
