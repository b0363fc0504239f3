"""The live acceptance suite: scenarios written once against a ``Target``, run on AWS by ``./dev test-live``
(``live_target``) and on the simulator by ``./dev test`` (``simulator_target``). See docs/live-tests.md."""
