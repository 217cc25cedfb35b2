// Layered graph layout for the run graph: nodes get a layer from the longest path from a root
// (Kahn's order, O(N+E)), an order inside the layer from one barycentre sweep, and layers
// taller than `maxRows` wrap into extra columns so a 5,000-task fan-out stays viewable.

export interface LayoutOptions {
  nodeWidth: number;
  nodeHeight: number;
  gapX: number;
  gapY: number;
  maxRows: number;
}

export interface Layout {
  x: Float64Array;
  y: Float64Array;
  layer: Int32Array;
  width: number;
  height: number;
}

export const DEFAULT_LAYOUT: LayoutOptions = { nodeWidth: 180, nodeHeight: 36, gapX: 60, gapY: 14, maxRows: 40 };

/** Positions of `count` nodes joined by `edges` (index pairs, upstream first). */
export function layoutGraph(count: number, edges: ReadonlyArray<readonly [number, number]>, options: LayoutOptions = DEFAULT_LAYOUT): Layout {
  const indegree = new Int32Array(count);
  const outStart = new Int32Array(count + 1);
  for (const [from, to] of edges) {
    if (from === to || from < 0 || to < 0 || from >= count || to >= count) continue;
    outStart[from + 1] += 1;
    indegree[to] += 1;
  }
  for (let i = 0; i < count; i++) outStart[i + 1] += outStart[i];
  const fill = outStart.slice(0, count);
  const outList = new Int32Array(outStart[count]);
  const preds: number[][] = Array.from({ length: count }, () => []);
  for (const [from, to] of edges) {
    if (from === to || from < 0 || to < 0 || from >= count || to >= count) continue;
    outList[fill[from]++] = to;
    preds[to].push(from);
  }
  const layer = new Int32Array(count);
  const queue = new Int32Array(count);
  let head = 0;
  let tail = 0;
  const remaining = indegree.slice();
  for (let i = 0; i < count; i++) if (remaining[i] === 0) queue[tail++] = i;
  while (head < tail) {
    const node = queue[head++];
    for (let k = outStart[node]; k < outStart[node + 1]; k++) {
      const next = outList[k];
      if (layer[node] + 1 > layer[next]) layer[next] = layer[node] + 1;
      if (--remaining[next] === 0) queue[tail++] = next;
    }
  }
  // Nodes on a cycle (a graph the engine should never record) go after everything else.
  let deepest = 0;
  for (let i = 0; i < count; i++) if (layer[i] > deepest) deepest = layer[i];
  if (tail < count) {
    deepest += 1;
    for (let i = 0; i < count; i++) if (remaining[i] > 0) layer[i] = deepest;
  }
  const layers: number[][] = Array.from({ length: count ? deepest + 1 : 0 }, () => []);
  for (let i = 0; i < count; i++) layers[layer[i]].push(i);

  const rank = new Float64Array(count);
  for (const members of layers) members.forEach((node, index) => (rank[node] = index));
  for (let l = 1; l < layers.length; l++) {
    const members = layers[l];
    const key = new Float64Array(members.length);
    members.forEach((node, index) => {
      const up = preds[node];
      let sum = 0;
      for (const p of up) sum += rank[p];
      key[index] = up.length ? sum / up.length : index;
    });
    const order = members.map((_, index) => index).sort((a, b) => key[a] - key[b] || a - b);
    layers[l] = order.map((index) => members[index]);
    layers[l].forEach((node, index) => (rank[node] = index));
  }

  const x = new Float64Array(count);
  const y = new Float64Array(count);
  const stepX = options.nodeWidth + options.gapX;
  const stepY = options.nodeHeight + options.gapY;
  let column = 0;
  let height = 0;
  for (const members of layers) {
    const rows = Math.min(members.length, options.maxRows);
    members.forEach((node, index) => {
      x[node] = (column + Math.floor(index / options.maxRows)) * stepX;
      y[node] = (index % options.maxRows) * stepY;
    });
    column += Math.max(1, Math.ceil(members.length / options.maxRows));
    height = Math.max(height, rows * stepY - options.gapY);
  }
  const width = column ? column * stepX - options.gapX : 0;
  return { x, y, layer, width, height: Math.max(height, 0) };
}
