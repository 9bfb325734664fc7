// The mask painter: one layer per painting over the photo, each shown in its own colour.
// A layer is a canvas at the photo's stored size; its alpha is the mask (opaque white = painted).
// It fires "change" (detail: {key}) whenever a layer's pixels change.

const HISTORY_LIMIT = 20;

function canvas(width, height) {
  const element = document.createElement("canvas");
  element.width = width;
  element.height = height;
  return element;
}

export class Painter extends EventTarget {
  /** `stage`: the element that holds the photo and its layers, sized to fit inside `viewport`. */
  constructor(stage, viewport) {
    super();
    this.stage = stage;
    this.width = 0;
    this.height = 0;
    this.layers = new Map(); // key -> {colour, canvas, ctx, version}; kept when a layer is hidden
    this.order = []; // the keys shown, bottom to top
    this.active = null;
    this.tool = "brush";
    this.size = 120;
    this.softness = 0.3;
    this.points = null; // the stroke being drawn
    this.undoStack = [];
    this.redoStack = [];

    this.photo = Object.assign(document.createElement("img"), { className: "stage-photo", alt: "The photo" });
    this.segmentation = Object.assign(document.createElement("img"), { className: "stage-overlay", alt: "", hidden: true });
    this.view = Object.assign(canvas(0, 0), { className: "stage-overlay stage-masks" });
    this.view.dataset.testid = "mask-canvas";
    this.view.setAttribute("role", "img");
    this.view.setAttribute("aria-label", "Mask layers over the photo: paint with the pointer");
    this.cursor = Object.assign(document.createElement("div"), { className: "brush-cursor", hidden: true });
    this.stroke = canvas(0, 0);
    this.tint = canvas(0, 0);
    stage.append(this.photo, this.segmentation, this.view, this.cursor);

    this.view.addEventListener("pointerdown", (event) => this.down(event));
    this.view.addEventListener("pointermove", (event) => this.move(event));
    this.view.addEventListener("pointerup", () => this.up());
    this.view.addEventListener("pointercancel", () => this.up());
    this.view.addEventListener("pointerleave", () => { this.cursor.hidden = true; });
    new ResizeObserver(([entry]) => {
      this.room = entry.contentRect;
      this.fit();
    }).observe(viewport);
  }

  /** The largest size that shows the whole photo in the viewport, its aspect kept. */
  fit() {
    if (!this.width || !this.room) return;
    const scale = Math.min(this.room.width / this.width, this.room.height / this.height);
    this.stage.style.width = `${Math.floor(this.width * scale)}px`;
    this.stage.style.height = `${Math.floor(this.height * scale)}px`;
  }

  /** Show a photo of `width` x `height` px; every layer starts empty again. */
  setPhoto(url, width, height) {
    this.width = width;
    this.height = height;
    this.photo.src = url;
    for (const element of [this.view, this.stroke, this.tint]) Object.assign(element, { width, height });
    for (const layer of this.layers.values()) this.resetLayer(layer);
    this.undoStack = [];
    this.redoStack = [];
    this.stage.classList.add("has-photo");
    this.fit();
    this.render();
    for (const key of this.layers.keys()) this.changed(key);
  }

  /** Show these layers ([{key, colour}], bottom to top); a layer hidden and shown again keeps its pixels. */
  setLayers(list) {
    for (const { key, colour } of list) {
      const layer = this.layers.get(key);
      if (layer) layer.colour = colour;
      else this.layers.set(key, this.resetLayer({ colour, version: 0 }));
    }
    this.order = list.map(({ key }) => key);
    if (!this.order.includes(this.active)) this.active = this.order[0] ?? null;
    this.render();
  }

  resetLayer(layer) {
    layer.canvas = canvas(this.width, this.height);
    layer.ctx = layer.canvas.getContext("2d", { willReadFrequently: true });
    return layer;
  }

  select(key) {
    this.active = key;
    this.render();
  }

  get ready() {
    return this.width > 0 && this.active !== null;
  }

  // -- painting -----------------------------------------------------------------------------------

  toPhoto(event) {
    const rect = this.view.getBoundingClientRect();
    return [(event.clientX - rect.left) * this.width / rect.width, (event.clientY - rect.top) * this.height / rect.height];
  }

  down(event) {
    if (!this.ready || event.button !== 0) return;
    this.view.setPointerCapture(event.pointerId);
    this.points = [this.toPhoto(event)];
    this.drawStroke();
  }

  move(event) {
    this.placeCursor(event);
    if (!this.points) return;
    for (const each of event.getCoalescedEvents?.() ?? [event]) this.points.push(this.toPhoto(each));
    this.drawStroke();
  }

  up() {
    if (!this.points) return;
    this.record(this.active);
    const ctx = this.layers.get(this.active).ctx;
    ctx.globalCompositeOperation = this.tool === "eraser" ? "destination-out" : "source-over";
    ctx.drawImage(this.stroke, 0, 0);
    ctx.globalCompositeOperation = "source-over";
    this.points = null;
    this.changed(this.active);
  }

  /** The stroke so far, drawn whole each time so that a soft edge stays even along it. */
  drawStroke() {
    const ctx = this.stroke.getContext("2d");
    ctx.clearRect(0, 0, this.width, this.height);
    ctx.filter = this.softness > 0 ? `blur(${(this.size * this.softness) / 4}px)` : "none";
    ctx.lineWidth = this.size * (1 - this.softness / 2);
    ctx.lineCap = ctx.lineJoin = "round";
    ctx.strokeStyle = "#fff";
    ctx.beginPath();
    const [[x0, y0], ...rest] = this.points;
    ctx.moveTo(x0, y0);
    for (const [x, y] of rest.length ? rest : [[x0 + 0.01, y0]]) ctx.lineTo(x, y);
    ctx.stroke();
    this.render();
  }

  placeCursor(event) {
    const rect = this.view.getBoundingClientRect();
    const diameter = (this.size * rect.width) / this.width;
    Object.assign(this.cursor.style, {
      width: `${diameter}px`, height: `${diameter}px`,
      left: `${event.clientX - rect.left}px`, top: `${event.clientY - rect.top}px`,
    });
    this.cursor.hidden = !this.ready;
    this.view.style.cursor = this.ready ? "none" : "not-allowed"; // the circle is the cursor while painting
  }

  /** Paint the whole layer, or (`rest`) where no other shown layer is painted. */
  fill(rest = false) {
    if (!this.ready) return;
    this.record(this.active);
    const ctx = this.layers.get(this.active).ctx;
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, this.width, this.height);
    if (rest) {
      ctx.globalCompositeOperation = "destination-out";
      for (const key of this.order) if (key !== this.active) ctx.drawImage(this.layers.get(key).canvas, 0, 0);
      ctx.globalCompositeOperation = "source-over";
    }
    this.changed(this.active);
  }

  clear() {
    if (!this.ready) return;
    this.record(this.active);
    this.layers.get(this.active).ctx.clearRect(0, 0, this.width, this.height);
    this.changed(this.active);
  }

  /** Replace a layer with a grey mask image (white = painted): GrabCut's answer, or a run's mask. */
  async loadMask(key, url) {
    const image = new Image();
    image.src = url;
    await image.decode();
    const scratch = canvas(this.width, this.height).getContext("2d", { willReadFrequently: true });
    scratch.drawImage(image, 0, 0, this.width, this.height);
    const pixels = scratch.getImageData(0, 0, this.width, this.height);
    const data = pixels.data;
    for (let i = 0; i < data.length; i += 4) {
      data[i + 3] = data[i];
      data[i] = data[i + 1] = data[i + 2] = 255;
    }
    this.record(key);
    this.layers.get(key).ctx.putImageData(pixels, 0, 0);
    this.changed(key);
  }

  // -- undo ---------------------------------------------------------------------------------------

  snapshot(key) {
    return { key, pixels: this.layers.get(key).ctx.getImageData(0, 0, this.width, this.height) };
  }

  record(key) {
    this.undoStack.push(this.snapshot(key));
    if (this.undoStack.length > HISTORY_LIMIT) this.undoStack.shift();
    this.redoStack = [];
  }

  undo() {
    this.restore(this.undoStack, this.redoStack);
  }

  redo() {
    this.restore(this.redoStack, this.undoStack);
  }

  restore(from, to) {
    const step = from.pop();
    if (!step) return;
    to.push(this.snapshot(step.key));
    this.layers.get(step.key).ctx.putImageData(step.pixels, 0, 0);
    this.changed(step.key);
  }

  // -- what the layers hold ----------------------------------------------------------------------

  /** The painted share of a layer, 0..1 (0: never painted, or cleared). */
  coverage(key) {
    const layer = this.layers.get(key);
    if (!layer || !this.width) return 0;
    const data = layer.ctx.getImageData(0, 0, this.width, this.height).data;
    let sum = 0;
    for (let i = 3; i < data.length; i += 4) sum += data[i];
    return sum / (255 * this.width * this.height);
  }

  version(key) {
    return this.layers.get(key)?.version ?? 0;
  }

  /** A layer as the server's mask: a PNG at the photo's size, white where painted, black elsewhere. */
  toBlob(key) {
    const out = canvas(this.width, this.height);
    const ctx = out.getContext("2d");
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, this.width, this.height);
    ctx.drawImage(this.layers.get(key).canvas, 0, 0);
    return new Promise((resolve) => out.toBlob(resolve, "image/png"));
  }

  changed(key) {
    this.layers.get(key).version += 1;
    this.render();
    this.dispatchEvent(new CustomEvent("change", { detail: { key } }));
  }

  // -- display ------------------------------------------------------------------------------------

  setOpacity(value) {
    this.view.style.opacity = value;
  }

  /** Show a segmentation image over the photo (null: none) at `opacity`. */
  setSegmentation(url, opacity) {
    this.segmentation.hidden = !url;
    if (url) this.segmentation.src = url;
    this.segmentation.style.opacity = opacity;
  }

  render() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      this.draw();
    });
  }

  /** Every shown layer tinted in its colour, the active one on top with the stroke in progress. */
  draw() {
    if (!this.width) return; // no photo yet: the canvases are empty
    const view = this.view.getContext("2d");
    const tint = this.tint.getContext("2d");
    view.clearRect(0, 0, this.width, this.height);
    const keys = [...this.order.filter((key) => key !== this.active), ...(this.active ? [this.active] : [])];
    for (const key of keys) {
      const layer = this.layers.get(key);
      tint.clearRect(0, 0, this.width, this.height);
      tint.drawImage(layer.canvas, 0, 0);
      if (key === this.active && this.points) {
        tint.globalCompositeOperation = this.tool === "eraser" ? "destination-out" : "source-over";
        tint.drawImage(this.stroke, 0, 0);
      }
      tint.globalCompositeOperation = "source-in";
      tint.fillStyle = layer.colour;
      tint.fillRect(0, 0, this.width, this.height);
      tint.globalCompositeOperation = "source-over";
      view.drawImage(this.tint, 0, 0);
    }
  }
}
