"""The demo district (`renkou demo`): at the top of the layers, it may import every app.

It simulates a district with `renkou.simulate`, loads it through the registry's bulk loader,
creates one account per role (`renkou.core.demo`) and then runs each app's `demo.populate()`
in layer order. No app imports this package.
"""
