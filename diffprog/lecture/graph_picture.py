"""A picture of a traced computation graph (matplotlib; PNG or SVG by the file's suffix).

Left to right as the forward pass runs: leaves (blue: inputs that require grad, grey: constants)
and ops (white boxes). Each edge is labelled with the value it carries (black) and, after
backward, with its share of the gradient ∂J/∂value (red). A leaf's box shows its value and its
gradient; a value with several out-edges (parameter sharing) shows "Σ", the sum of their shares.
"""
from __future__ import annotations

import os

import torch

from ..plots import plt, save_figure
from .graph import Graph

LEAF_COLOURS = {"input": "#c6dbef", "constant": "#e0e0e0", "op": "#ffffff"}
GRAD_COLOUR = "#c0392b"


def describe(t: torch.Tensor | None, limit: int = 4) -> str:
    """A value as a student reads it: numbers when there are at most `limit`, else its shape."""
    if t is None:
        return ""
    t = t.detach().cpu()
    if t.numel() > limit:
        return "shape " + "×".join(map(str, t.shape))

    def fmt(v):
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    def nested(v):
        return "(" + ", ".join(nested(x) for x in v) + ")" if isinstance(v, list) else fmt(v)
    return nested(t.tolist())


def layout(graph: Graph) -> dict[int, tuple[float, float]]:
    """(column, row) per node: an op one column right of its latest input, a leaf just left of its
    first consumer; rows ordered to keep edges short (mean row of the neighbours, a few sweeps)."""
    column: dict[int, int] = {}
    for i, node in enumerate(graph.nodes):  # nodes are in execution order: inputs come first
        if node.kind == "op":
            column[i] = 1 + max((column.get(graph.edges[e].source, 0) for e in node.inputs), default=0)
    for i, node in enumerate(graph.nodes):
        if node.kind != "op":
            consumers = [column[e.target] for e in graph.out_edges(i)]
            column[i] = min(consumers, default=1) - 1
    columns: dict[int, list[int]] = {}
    for i in range(len(graph.nodes)):
        columns.setdefault(column[i], []).append(i)
    row = {i: float(k) for members in columns.values() for k, i in enumerate(members)}

    def neighbours(i: int, before: bool) -> list[int]:
        if before:
            return [graph.edges[e].source for e in graph.nodes[i].inputs]
        return [e.target for e in graph.out_edges(i)]

    def mean_row(i: int, before: bool) -> float:
        near = neighbours(i, before)
        return sum(row[n] for n in near) / len(near) if near else row[i]

    order = sorted(columns)
    for sweep in range(4):  # left to right by the inputs' rows, then right to left by the consumers'
        before = sweep % 2 == 0
        for c in (order if before else order[::-1]):
            members = columns[c]
            members.sort(key=lambda i: mean_row(i, before))
            for k, i in enumerate(members):
                row[i] = k - (len(members) - 1) / 2
    return {i: (float(column[i] - min(order)), -row[i]) for i in row}


def _node_text(graph: Graph, i: int) -> tuple[str, str]:
    node = graph.nodes[i]
    if node.kind == "op":
        return node.label + (f"\n= {describe(node.value)}" if i == graph.output else ""), ""
    text = f"{node.label}\n{describe(node.value)}"
    grad = ""
    if node.grad is not None:
        shared = len(graph.out_edges(i)) > 1
        grad = ("Σ " if shared else "") + f"∂J/∂{node.label} = {describe(node.grad)}"
    return text, grad


def draw_graph(graph: Graph, path: str | os.PathLike, title: str = "") -> None:
    """Draw `graph` (after backward, with its gradients) to `path` (.png or .svg), atomically."""
    place = layout(graph)
    sx, sy = 3.2, 2.0  # data units per column and per row
    width = max(x for x, _ in place.values()) + 1
    ys = [y * sy for _, y in place.values()]
    fig, ax = plt.subplots(figsize=(max(6.0, 2.6 * width), max(3.0, 0.75 * (max(ys) - min(ys)) + 2.4)))
    ax.set_xlim(-1.4, (width - 1) * sx + 1.4)
    ax.set_ylim(min(ys) - 1.1, max(ys) + 1.1)
    ax.axis("off")
    boxes = {}
    for i, (x, y) in place.items():
        text, grad = _node_text(graph, i)
        node = graph.nodes[i]
        boxes[i] = ax.text(x * sx, y * sy, text, ha="center", va="center", fontsize=9, zorder=3,
                           fontweight="bold" if node.kind == "op" else "normal",
                           bbox=dict(boxstyle="round,pad=0.4", fc=LEAF_COLOURS[node.kind],
                                     ec=GRAD_COLOUR if i == graph.output else "#333333", lw=1.2))
        if grad:  # above a box in the upper half, below one in the lower half: away from the edges
            up = y >= 0
            ax.annotate(grad, xy=(0.5, 1 if up else 0), xycoords=boxes[i], xytext=(0, 5 if up else -5),
                        textcoords="offset points", ha="center", va="bottom" if up else "top", fontsize=8,
                        color=GRAD_COLOUR)
    fig.canvas.draw()  # sizes the boxes, so that arrows can stop at their edges
    label = dict(ha="center", fontsize=8, zorder=5, bbox=dict(boxstyle="square,pad=0.1", fc="white", ec="none", alpha=0.85))
    for edge in graph.edges:
        (x0, y0), (x1, y1) = place[edge.source], place[edge.target]
        ax.annotate("", xy=(x1 * sx, y1 * sy), xytext=(x0 * sx, y0 * sy), zorder=4,
                    arrowprops=dict(arrowstyle="-|>", color="#555555", lw=1.1, patchA=boxes[edge.source].get_bbox_patch(),
                                    patchB=boxes[edge.target].get_bbox_patch(), shrinkA=2, shrinkB=2))
        mx, my = (x0 + x1) / 2 * sx, (y0 + y1) / 2 * sy
        if graph.nodes[edge.source].kind == "op":
            ax.text(mx, my + 0.08, describe(graph.nodes[edge.source].value), va="bottom", **label)
        if edge.grad is not None:
            ax.text(mx, my - 0.08, describe(edge.grad), va="top", color=GRAD_COLOUR, **label)
    note = "black: the value each edge carries forward · red: its share of ∂J/∂value, from backward (J: the output)"
    ax.set_title((title + "\n" if title else "") + note, fontsize=9)
    save_figure(fig, path)
