# %% [markdown]
# # carevis in a notebook
#
# Needs `pip install jupyter_rfb`. The canvas renders on the kernel's side (offscreen) and
# the widget shows the image; mouse and keys work as in the window (click the widget
# first so it has the keyboard).

# %%
import carevis
from carevis.window import CarevisCanvas

journeys = carevis.read("journeys.parquet")  # or carevis.synthetic.england(scale=0.01)
scene = carevis.Scene(journeys, colour="time_in_care")

# %%
canvas = CarevisCanvas(scene, app="jupyter_rfb", size=(960, 540), t="2022-03-31")
canvas  # noqa: B018  (the last expression of a cell shows the widget)

# %%
canvas.set_filter(la="Kent")
canvas.set_highlight("Foster care (other)")
canvas.play()

# %%
canvas.pause()
canvas.cluster_info(scene.states.index("Foster care (other)"))
