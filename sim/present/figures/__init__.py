"""One module per family of figures. Every function takes plain data (a metric's numbers, a
point's figure data) and returns a :class:`matplotlib.figure.Figure` in the style of
:mod:`sim.present.figures.style`; none reads a results folder (that is :mod:`sim.present.plots`).
"""
