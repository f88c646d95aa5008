"""Training the embedded models the project ships in assets/, all on one loop (`loop.run_steps`)
and diffprog's own optimizers.

- loop.py: the optimizer-step loop (progress bar, schedule, Ctrl-C keeps what was learned).
- adversarial.py: the robust-training step (FGSM from a random start) the trainers share.
- classifier.py: the shapes classifier (scripts/train_classifier.py).
- clip.py: the scenes CLIP and its zero-shot metrics (scripts/train_clip.py).
- scene_decoder.py: the scene generator, a VAE whose decoder is kept (scripts/train_generator.py).
"""
