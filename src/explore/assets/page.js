// The explorer page's script: reads the run's data (the JSON in #data, written by
// src/explore/data.rs) and draws the source, the trace tree (SVG), the aborts and the panes of
// the selected trace. Every line of every pane carries its source line (data-line) and, for a
// guard or an exit block, its exit (data-exit = "trace:exit"): hovering or clicking one
// highlights all of them. `#click=T<trace>:<ir index>` in the address clicks that IR line once
// the page is drawn (the browser test uses it).
"use strict";

window.addEventListener("error", (event) => {
  const box = document.getElementById("errors");
  box.textContent += "error: " + event.message + "\n";
});

const data = JSON.parse(document.getElementById("data").textContent);
const traceById = new Map(data.traces.map((t) => [t.id, t]));

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function svg(tag, attrs, text) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

const ms = (x) => (x < 10 ? x.toFixed(2) : x.toFixed(0)) + " ms";

// ---- highlighting: one source line (and one exit) across every pane
function highlight(line, exitKey) {
  document.querySelectorAll(".hl").forEach((n) => n.classList.remove("hl"));
  if (line) {
    document.querySelectorAll(`[data-line="${line}"]`).forEach((n) => n.classList.add("hl"));
  }
  if (exitKey) {
    document.querySelectorAll(`[data-exit="${exitKey}"]`).forEach((n) => n.classList.add("hl"));
  }
}

function linked(attrs, line, exitKey) {
  attrs["data-line"] = line || null;
  attrs["data-exit"] = exitKey || null;
  attrs.onmouseenter = () => highlight(line, exitKey);
  attrs.onclick = (event) => {
    event.stopPropagation();
    highlight(line, exitKey);
    const src = document.querySelector(`#source [data-line="${line}"]`);
    if (src) src.scrollIntoView({ block: "nearest" });
  };
  return attrs;
}

// ---- the timing header
function drawTiming() {
  const t = data.timing;
  const box = document.getElementById("timing");
  if (!data.jit) {
    box.append("The JIT was off (--no-jit): everything ran in the interpreter, in " + ms(t.totalMs) + ".");
    return;
  }
  const parts = [
    ["native", t.nativeMs, "in machine code"],
    ["interpreted", t.interpretedMs, "in the interpreter"],
    ["recording", t.recordingMs, "recording traces"],
    ["compiling", t.compilingMs, "compiling"],
  ];
  const bar = el("div", { class: "bar" });
  for (const [cls, value] of parts) {
    bar.append(el("span", { class: cls, style: `width:${(100 * value) / Math.max(t.totalMs, 1e-9)}%` }));
  }
  const legend = el("div", {}, "Run time " + ms(t.totalMs) + ":");
  for (const [cls, value, words] of parts) {
    legend.append(el("span", { class: "key " + cls }), `${ms(value)} ${words}`);
  }
  box.append(bar, legend, el("div", { class: "how" },
    "Measured with a clock around each call into machine code (per trace tree); each tree's time is " +
    "shared among the source lines of its loop body by their number of IR instructions. The " +
    "interpreter's time is the rest of the run and is not split by line (counting every " +
    "interpreted instruction would slow every run)."));
}

// ---- the source, shaded by time in machine code
function drawSource() {
  const box = el("div", { class: "listing" });
  const maxTime = Math.max(1e-9, ...Object.values(data.lineTime));
  const tracesAt = new Map();
  for (const t of data.traces) {
    for (const [line] of t.bytecode) {
      if (!tracesAt.has(line)) tracesAt.set(line, new Set());
      tracesAt.get(line).add(t.id);
    }
  }
  const abortsAt = new Map();
  for (const a of data.aborts) abortsAt.set(a.line, (abortsAt.get(a.line) || 0) + a.count);
  data.source.forEach((text, i) => {
    const line = i + 1;
    const share = (data.lineTime[line] || 0) / maxTime;
    const tags = el("span", { class: "tags" });
    for (const id of tracesAt.get(line) || []) {
      tags.append(el("span", { class: "chip", onclick: (e) => { e.stopPropagation(); selectTrace(id); } }, "T" + id));
    }
    if (abortsAt.has(line)) tags.append(el("span", { class: "chip abort", title: "recordings aborted here" }, "aborted ×" + abortsAt.get(line)));
    const title = data.lineTime[line] ? `${ms(data.lineTime[line])} in machine code` : null;
    box.append(el("div", linked({
      class: "src-line",
      title,
      style: share > 0 ? `background: rgba(102, 187, 106, ${0.15 + 0.6 * share})` : null,
    }, line), el("span", { class: "num" }, line), el("span", { class: "text" }, text || " "), tags));
  });
  document.getElementById("source").append(box);
}

// ---- the trace tree
function drawTree() {
  const box = document.getElementById("tree");
  if (data.traces.length === 0) {
    box.append(el("p", {}, data.jit
      ? `No trace was compiled: no loop ran the ${data.threshold} iterations (--jit-threshold) that make it hot, or every recording aborted (see below).`
      : "The JIT was off (--no-jit)."));
    return;
  }
  const W = 86, H = 36, GAP_X = 24, GAP_Y = 74;
  // Children of a trace: its side traces and, for exits taken without one, a leaf.
  const exitsOf = new Map();
  for (const tree of data.trees) {
    for (const e of tree.exits) {
      if (!exitsOf.has(e.trace)) exitsOf.set(e.trace, []);
      exitsOf.get(e.trace).push(e);
    }
  }
  function children(traceId) {
    const out = [];
    for (const e of exitsOf.get(traceId) || []) {
      if (e.side !== null) out.push({ kind: "trace", id: e.side, exit: e });
      else if (e.count > 0 || e.blacklisted) out.push({ kind: "leaf", exit: e });
    }
    return out;
  }
  function width(node) {
    if (node.kind === "leaf") return 1;
    const kids = children(node.id);
    return Math.max(1, kids.reduce((sum, k) => sum + width(k), 0));
  }
  const roots = data.traces.filter((t) => t.kind === "root" || t.kind === "entry").map((t) => ({ kind: "trace", id: t.id }));
  const totalWidth = roots.reduce((s, r) => s + width(r), 0);
  let maxDepth = 0;
  const placed = [];
  function place(node, left, depth, parent) {
    const w = width(node);
    const x = (left + w / 2) * (W + GAP_X);
    const y = 20 + depth * GAP_Y;
    maxDepth = Math.max(maxDepth, depth);
    placed.push({ node, x, y, parent });
    if (node.kind === "trace") {
      let at = left;
      for (const kid of children(node.id)) {
        place(kid, at, depth + 1, { x, y });
        at += width(kid);
      }
    }
  }
  let at = 0;
  for (const r of roots) { place(r, at, 0, null); at += width(r); }
  // Aborted recordings: a row of red boxes under the trees, one per message.
  const abortRowY = 20 + (maxDepth + 1) * GAP_Y;
  const abortBoxes = data.aborts.map((a, i) => ({ a, x: (i + 0.5) * (W + GAP_X) }));
  const image = svg("svg", {
    width: Math.max(totalWidth, abortBoxes.length) * (W + GAP_X) + 20,
    height: (maxDepth + 1) * GAP_Y + 30 + (abortBoxes.length ? GAP_Y : 0),
    role: "img",
    "aria-label": "the trace tree",
  });
  const positions = new Map();
  for (const p of placed) if (p.node.kind === "trace") positions.set(p.node.id, p);
  for (const p of placed) {
    if (!p.parent) continue;
    const e = p.node.exit;
    image.append(svg("path", { class: "edge", d: `M${p.parent.x},${p.parent.y + H} L${p.x},${p.y}` }));
    const label = svg("text", {
      class: "exit-label", x: (p.parent.x + p.x) / 2 + 4, y: (p.parent.y + H + p.y) / 2,
      "data-trace": e.trace, "data-exit-number": e.snap, "data-count": e.count,
    }, `exit ${e.snap} ×${e.count}`);
    image.append(label);
  }
  for (const p of placed) {
    const g = svg("g", {}, undefined);
    if (p.node.kind === "trace") {
      const t = traceById.get(p.node.id);
      g.setAttribute("class", "node " + t.kind);
      g.setAttribute("data-trace", t.id);
      g.append(svg("rect", { x: p.x - W / 2, y: p.y, width: W, height: H, rx: 5 }));
      g.append(svg("text", { x: p.x, y: p.y + 15, "text-anchor": "middle" }, `T${t.id} line ${t.line}`));
      const tail = t.kind === "root" && t.linksTo === null ? "loops" : t.ending.startsWith("links to T")
        ? "→ " + t.ending.split(" ")[2].replace(",", "") : t.ending.startsWith("leaves") ? "→ return" : "";
      g.append(svg("text", { x: p.x, y: p.y + 29, "text-anchor": "middle" }, tail));
      g.append(svg("title", {}, `T${t.id}: ${t.heading}; ${t.ending}`));
      g.addEventListener("click", () => selectTrace(t.id));
    } else {
      const e = p.node.exit;
      g.setAttribute("class", "leaf");
      g.setAttribute("data-exit", `${e.trace}:${e.snap}`);
      const t = traceById.get(e.trace);
      const why = t && t.exits[e.snap] ? t.exits[e.snap][3] : "";
      // A link into another tree's loop counts as an exit: the VM enters that loop's trace.
      const link = why.match(/^the link into (T\d+)/);
      const what = e.blacklisted ? "blacklisted" : link ? "link → " + link[1] : "interpreter";
      g.append(svg("rect", { class: e.blacklisted ? "blacklisted" : "exit-leaf", x: p.x - W / 2, y: p.y, width: W, height: H, rx: 12 }));
      g.append(svg("text", { x: p.x, y: p.y + 15, "text-anchor": "middle" }, what));
      g.append(svg("text", { x: p.x, y: p.y + 29, "text-anchor": "middle" }, `line ${e.line}`));
      const failures = data.aborts.filter((a) => a.text.includes(`T${e.trace} exit ${e.snap} `)).map((a) => a.text.split(": ").slice(1).join(": "));
      g.append(svg("title", {}, `exit ${e.snap} of T${e.trace} (line ${e.line}): ${why}; taken ${e.count} times` +
        (e.blacklisted ? `; ${e.failed} side traces failed here, so it is blacklisted` : "") +
        (failures.length ? `; side traces failed: ${failures.join("; ")}` : "")));
      g.addEventListener("click", () => { selectTrace(e.trace); highlight(e.line, `${e.trace}:${e.snap}`); });
    }
    image.append(g);
  }
  for (const { a, x } of abortBoxes) {
    const g = svg("g", { class: "aborted", "data-line": a.line });
    g.append(svg("rect", { class: "blacklisted", x: x - W / 2, y: abortRowY, width: W, height: H, rx: 2 }));
    g.append(svg("text", { x, y: abortRowY + 15, "text-anchor": "middle" }, `aborted ×${a.count}`));
    g.append(svg("text", { x, y: abortRowY + 29, "text-anchor": "middle" }, `line ${a.line}`));
    g.append(svg("title", {}, `${a.text}\nWhat to do: ${a.advice}`));
    g.addEventListener("click", () => highlight(a.line));
    image.append(g);
  }
  box.append(image, el("p", { class: "event" },
    "Green: root traces (a hot loop). Grey: side traces, under the exit they grew from. Orange: exits " +
    "taken back to the interpreter, or links into another loop's trace (the VM enters it at once). " +
    "Each edge: the exit number and how often it was taken before a side trace took over (or in " +
    "all, for an orange leaf). Red: recordings that were aborted, and why (hover). Hover a node " +
    "for what it is; click it for its panes."));
}

// ---- aborts and events
function drawAborts() {
  const box = document.getElementById("aborts");
  if (data.aborts.length === 0) box.append(el("p", {}, "No recording was aborted."));
  for (const a of data.aborts) {
    box.append(el("div", linked({ class: "abort-group" }, a.line),
      el("div", {}, `${a.text} — ${a.count} time${a.count === 1 ? "" : "s"}`),
      el("div", { class: "advice" }, "What to do: " + a.advice)));
  }
  for (const e of data.events) box.append(el("div", { class: "event" }, e.text));
}

// ---- the panes of one trace
function listing(rows) {
  const box = el("div", { class: "listing" });
  for (const row of rows) box.append(row);
  return box;
}

function codeListing(text, traceId) {
  // `->exit N (line L):` labels the block that follows; `->LOOP:` the loop's head.
  const rows = [];
  let line = null, exitKey = null;
  for (const raw of text.split("\n")) {
    const exit = raw.match(/^->exit (\d+) \(line (\d+)\):/);
    if (exit) { exitKey = `${traceId}:${exit[1]}`; line = Number(exit[2]); }
    else if (raw.startsWith("->LOOP")) { exitKey = null; line = null; }
    else if (/^\s*block\d+/.test(raw) && !(rows.length && rows[rows.length - 1].classList.contains("label"))) { exitKey = null; line = null; }
    const isLabel = raw.startsWith("->");
    rows.push(el("div", linked({ class: isLabel ? "label" : null }, line, exitKey), raw || " "));
  }
  return listing(rows);
}

function pane(title, body) {
  return el("div", { class: "pane" }, el("h3", {}, title), body);
}

function drawTrace(t) {
  const view = document.getElementById("trace-view");
  view.replaceChildren();
  view.append(el("p", {}, el("b", {}, `T${t.id}: `), `${t.heading}; it ${t.ending}.`));
  const bytecode = t.bytecode.map(([line, pc, depth, text]) =>
    el("div", linked({}, line), `${String(line).padStart(4)} ${String(pc).padStart(5)}  ${"    ".repeat(depth)}${text}`));
  const ir = t.ir.map(([n, text, line, words, exit, clear]) => {
    const exitKey = exit === null ? null : `${t.id}:${exit}`;
    const isGuard = words && /\bexits\b/.test(words);
    const row = el("div", linked({ class: clear ? "clear" : text.includes("---- loop") ? "loopline" : isGuard ? "guard" : null, "data-ir": n }, line, exitKey),
      `${String(n).padStart(4, "0")}  ${text}`.padEnd(50), el("span", { class: "lineref" }, ` line ${line} `));
    if (words) row.append(el("span", { class: "words" }, exit === null ? words : words.replace(/^(.*?)\bexits\b/, `$1exit ${exit}`)));
    return row;
  });
  const treeExits = new Map();
  for (const tree of data.trees) for (const e of tree.exits) if (e.trace === t.id) treeExits.set(e.snap, e);
  const exits = t.exits.map(([n, line, pc, reason, writes, temps]) => {
    const e = treeExits.get(n);
    const taken = e ? `taken ${e.count} time${e.count === 1 ? "" : "s"}` + (e.side !== null ? `, then side trace T${e.side}` : "") : "";
    return el("div", linked({}, line, `${t.id}:${n}`),
      `exit ${n}: resumes at line ${line} (pc ${pc}); ${reason || "—"}; writes ${writes || "nothing"}${temps ? " (" + temps + ")" : ""}. ${taken}`);
  });
  const stages = el("div", { class: "stages" });
  t.stages.forEach((stage, k) => {
    const rows = stage.insts.map(([text, line, removed]) => el("div", linked({ class: removed ? "removed" : null }, line), text));
    const title = k === 0 ? "as recorded" : "after " + stage.name + (t.passes[k - 1] ? ` (${t.passes[k - 1].split(": ")[1]})` : "");
    stages.append(el("div", {}, el("h3", {}, title), listing(rows)));
  });
  const panes = el("div", { class: "panes" },
    pane("Recorded bytecode (line, pc, instruction)", listing(bytecode)),
    pane("Trace IR, compiled (each line: its source line and what it does; guards in red)", listing(ir)),
    pane("Exits (snapshots): where each resumes, why it is taken, what it writes back", listing(exits)),
    pane("The optimizer, pass by pass (struck out: removed by the next pass)", stages));
  if (t.clif) panes.append(pane("Cranelift IR (->LOOP: the loop's head; ->exit N: the block that leaves through exit N)", codeListing(t.clif, t.id)));
  if (t.asm) panes.append(pane(`Machine code (${t.codeSize} bytes)`, codeListing(t.asm, t.id)));
  view.append(panes);
}

function selectTrace(id) {
  const t = traceById.get(id);
  if (!t) return;
  document.querySelectorAll("#trace-tabs button").forEach((b) => b.classList.toggle("active", b.dataset.trace === String(id)));
  document.querySelectorAll("#tree .node").forEach((n) => n.classList.toggle("selected", n.dataset.trace === String(id)));
  drawTrace(t);
}

function drawTabs() {
  const tabs = document.getElementById("trace-tabs");
  for (const t of data.traces) {
    tabs.append(el("button", { "data-trace": t.id, onclick: () => selectTrace(t.id), title: t.heading }, `T${t.id} (${t.kind}, line ${t.line})`));
  }
}

drawTiming();
drawSource();
drawTree();
drawAborts();
drawTabs();
if (data.traces.length > 0) selectTrace(data.traces[0].id);

// `#click=T1:12`: select trace 1 and click its IR line 12.
const request = location.hash.match(/^#click=T(\d+):(\d+)$/);
if (request) {
  selectTrace(Number(request[1]));
  const row = document.querySelector(`#trace-view [data-ir="${request[2]}"]`);
  if (row) row.click();
  document.body.dataset.clicked = row ? "yes" : "no";
}
