// neural-style studio: the page. Inputs (photo, paintings, segmentations), the mask layers (painter.js),
// the settings and their command line, and the runs (runs.js).

import { $, ApiError, element, getJSON, postFile, postJSON, reporting, showError } from "./common.js";
import { Painter } from "./painter.js";
import { DEFAULT_ITERATIONS, PRESET_SIZES, Runs } from "./runs.js";

const COLOURS = ["#ff4f79", "#3d8bff", "#ffc233", "#2ed3a0", "#b267ff", "#ff8a3d", "#2fd0ff", "#f05ecb"];
const MAX_PAINTINGS = COLOURS.length; // the server's limit too

const state = {
  photo: null, // its upload: {id, width, height}
  photoSegmentation: null, // an upload
  library: [], // GET /api/paintings
  adding: [], // names of files being added to the library
  chosen: [], // [{name, weight, colour, segmentation: upload | null}]
};
const masks = new Map(); // painting name -> {version, id: Promise<upload id | null>}
const painter = new Painter($("stage"), $("viewer"));
const runs = new Runs(reuse);

// -- small helpers ------------------------------------------------------------------------------------

/** Disable `button` and mark it busy while `work` runs. */
async function busy(button, work) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

function debounce(work, ms) {
  let timer;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(work, ms);
  };
}

/** Call `onFiles` with the files picked in a (hidden) file input. */
function whenPicked(input, onFiles) {
  input.addEventListener("change", () => {
    const files = [...input.files];
    input.value = ""; // picking the same file again is a change too
    if (files.length) onFiles(files);
  });
}

/** A button that opens a hidden file input. */
function filePicker(button, input, onFiles) {
  button.addEventListener("click", () => input.click());
  whenPicked(input, onFiles);
}

function dropZone(zone, onFiles) {
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("dragging");
    const files = [...event.dataTransfer.files].filter((file) => file.type.startsWith("image/") || !file.type);
    if (files.length) onFiles(files);
  });
}

/** argv as one shell line: plain words as they are, the rest in single quotes. */
const shellLine = (argv) => argv.map((arg) => (/^[\w./:=+@-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`)).join(" ");

const uploadUrl = (upload) => `/api/uploads/${upload.id}.png`;

// -- the photo --------------------------------------------------------------------------------------

function showPhoto(upload, name) {
  state.photo = upload;
  $("photo-info").textContent = `${name} · ${upload.width} × ${upload.height} px`;
  $("stage-empty").hidden = true;
  masks.clear();
  painter.setPhoto(uploadUrl(upload), upload.width, upload.height);
  setPhotoSegmentation(null); // it belonged to the last photo
}

async function loadPhoto(file) {
  await busy($("photo-pick"), () => reporting($("photo-error"),
    async () => showPhoto(await postFile("/api/uploads?kind=photo", file), file.name)));
}

filePicker($("photo-pick"), $("photo-file"), ([file]) => loadPhoto(file));
dropZone($("stage"), ([file]) => loadPhoto(file));

// -- paintings: the library and the ones chosen ---------------------------------------------------------

async function loadLibrary() {
  await reporting($("paintings-error"), async () => {
    state.library = await getJSON("/api/paintings");
  });
  renderLibrary();
}

async function addPaintings(files) {
  const button = $("painting-add");
  await busy(button, async () => {
    showError($("paintings-error"), null);
    for (const file of files) {
      state.adding.push(file.name);
      renderLibrary();
      try {
        await postFile(`/api/paintings?name=${encodeURIComponent(file.name)}`, file);
        state.library = await getJSON("/api/paintings");
      } catch (error) {
        showError($("paintings-error"), new ApiError(`${file.name}: ${error.message}`));
      } finally {
        state.adding = state.adding.filter((name) => name !== file.name);
        renderLibrary();
      }
    }
  });
}

filePicker($("painting-add"), $("painting-file"), addPaintings);
dropZone($("paintings-grid"), addPaintings);

const chosen = (name) => state.chosen.find((choice) => choice.name === name);

function renderLibrary() {
  const tiles = state.library.map((painting) => {
    const choice = chosen(painting.name);
    const tile = element("button", { type: "button", className: "tile", title: painting.name },
      ...(painting.thumbnail
        ? [element("img", { src: painting.thumbnail, alt: "" }), element("span", { className: "tile-name", textContent: painting.name })]
        : [element("span", { className: "tile-text", textContent: painting.name })])); // only in the library: no image
    tile.setAttribute("aria-pressed", String(Boolean(choice)));
    Object.assign(tile.dataset, { testid: "painting-tile", name: painting.name });
    if (choice) tile.style.setProperty("--colour", choice.colour);
    tile.addEventListener("click", () => toggle(painting.name));
    return tile;
  });
  const pending = state.adding.map((name) =>
    element("div", { className: "tile pending", role: "status" }, element("span", { className: "spinner" }),
      element("span", { className: "tile-name", textContent: `Adding ${name}…` })));
  const grid = $("paintings-grid");
  grid.replaceChildren(...tiles, ...pending);
  if (!tiles.length && !pending.length) grid.append(element("p", { className: "hint", textContent: "The library is empty: add a painting." }));
}

function toggle(name) {
  showError($("chosen-error"), null);
  if (chosen(name)) {
    state.chosen = state.chosen.filter((choice) => choice.name !== name);
  } else if (state.chosen.length >= MAX_PAINTINGS) {
    showError($("chosen-error"), new ApiError(`at most ${MAX_PAINTINGS} paintings in one run`));
    return;
  } else {
    const colour = COLOURS.find((c) => !state.chosen.some((choice) => choice.colour === c));
    state.chosen.push({ name, weight: 1, colour, segmentation: null });
  }
  chosenChanged();
}

function chosenChanged() {
  painter.setLayers(state.chosen.map(({ name, colour }) => ({ key: name, colour })));
  renderLibrary();
  renderChosen();
  renderLayers();
  refreshCommand();
  refreshRegions();
}

let segmentationFor = null; // the painting whose segmentation is being picked

function renderChosen() {
  $("chosen-empty").hidden = state.chosen.length > 0;
  $("chosen-list").replaceChildren(...state.chosen.map((choice) => {
    const painting = state.library.find((p) => p.name === choice.name);
    const weight = element("input", { type: "number", min: "0", step: "0.1", value: String(choice.weight), id: `weight-${choice.name}` });
    weight.addEventListener("input", () => {
      choice.weight = weight.valueAsNumber;
      refreshCommand();
    });
    const segment = element("button", { type: "button", textContent: choice.segmentation ? "Segmentation ✓" : "Segmentation…",
      title: "A colour-coded segmentation of this painting" });
    segment.addEventListener("click", () => {
      segmentationFor = choice;
      $("painting-seg-file").click();
    });
    const remove = element("button", { type: "button", className: "icon", textContent: "×", title: `Remove ${choice.name} from this run` });
    remove.setAttribute("aria-label", `Remove ${choice.name}`);
    remove.addEventListener("click", () => toggle(choice.name));
    const preview = element("span", { className: "mini" },
      painting?.thumbnail ? element("img", { src: painting.thumbnail, alt: "" }) : null,
      choice.segmentation ? element("img", { src: uploadUrl(choice.segmentation), alt: "", className: "mini-overlay" }) : null);
    const item = element("li", { className: "chosen" }, preview,
      element("span", { className: "chosen-name", textContent: choice.name }),
      element("label", { className: "weight", htmlFor: weight.id }, "Weight"), weight, segment, remove);
    item.style.setProperty("--colour", choice.colour);
    Object.assign(item.dataset, { testid: "chosen-item", name: choice.name });
    return item;
  }));
}

whenPicked($("painting-seg-file"), async ([file]) => {
  const choice = segmentationFor;
  await reporting($("chosen-error"), async () => {
    choice.segmentation = await postFile("/api/uploads?kind=segmentation", file);
    renderChosen();
    refreshCommand();
    refreshRegions();
  });
});

// -- mask layers ----------------------------------------------------------------------------------------

const coverage = new Map(); // painting name -> painted share of the photo

function renderLayers() {
  $("layers").replaceChildren(...state.chosen.map(({ name, colour }) => {
    const share = coverage.get(name) ?? 0;
    const button = element("button", { type: "button", className: "layer", title: `Paint the mask of ${name}` },
      element("span", { className: "swatch" }), `${name} `,
      element("small", { textContent: share ? `${Math.round(share * 100)}%` : "whole photo" }));
    button.style.setProperty("--colour", colour);
    button.setAttribute("aria-pressed", String(painter.active === name));
    Object.assign(button.dataset, { testid: "layer", name });
    button.addEventListener("click", () => {
      painter.select(name);
      renderLayers();
    });
    return button;
  }));
  const active = painter.active;
  const share = coverage.get(active) ?? 0;
  $("layer-status").textContent = !active ? "Choose a painting: each one gets a mask layer to paint on the photo."
    : !state.photo ? "Choose a photo to paint its masks."
    : share ? `${active} covers the painted ${Math.round(share * 100)}% of the photo.`
    : `${active}'s layer is empty, so it covers the whole photo. Paint to keep it to a region.`;
  $("undo").disabled = !painter.undoStack.length;
  $("redo").disabled = !painter.redoStack.length;
}

painter.addEventListener("change", ({ detail: { key } }) => {
  coverage.set(key, painter.coverage(key));
  renderLayers();
  refreshCommand();
});

/** The upload id of a layer's mask (uploaded once per version of the layer), or null when it is empty. */
function maskId(name) {
  const version = painter.version(name);
  let cached = masks.get(name);
  if (!cached || cached.version !== version) {
    const id = painter.coverage(name) === 0 ? Promise.resolve(null)
      : painter.toBlob(name).then((blob) => postFile("/api/uploads?kind=mask", blob)).then((upload) => upload.id);
    cached = { version, id };
    masks.set(name, cached);
    id.catch(() => masks.get(name) === cached && masks.delete(name));
  }
  return cached.id;
}

function setTool(tool) {
  painter.tool = tool;
  $("tool-brush").setAttribute("aria-pressed", String(tool === "brush"));
  $("tool-eraser").setAttribute("aria-pressed", String(tool === "eraser"));
}

function setBrushSize(size) {
  $("brush-size").value = size;
  painter.size = Number($("brush-size").value);
  $("brush-size-value").textContent = painter.size;
}

$("tool-brush").addEventListener("click", () => setTool("brush"));
$("tool-eraser").addEventListener("click", () => setTool("eraser"));
$("brush-size").addEventListener("input", () => setBrushSize($("brush-size").value));
$("brush-soft").addEventListener("input", () => { painter.softness = $("brush-soft").valueAsNumber / 100; });
$("overlay-opacity").addEventListener("input", () => painter.setOpacity($("overlay-opacity").valueAsNumber / 100));
$("fill").addEventListener("click", () => painter.fill());
$("fill-rest").addEventListener("click", () => painter.fill(true));
$("clear").addEventListener("click", () => painter.clear());
$("undo").addEventListener("click", () => painter.undo());
$("redo").addEventListener("click", () => painter.redo());

$("smart-select").addEventListener("click", () => busy($("smart-select"), () => reporting($("mask-error"), async () => {
  if (!state.photo) throw new ApiError("choose a photo first");
  const layer = painter.active;
  if (!layer) throw new ApiError("choose a painting: its layer receives the selection");
  const subject = await maskId(layer);
  if (!subject) throw new ApiError("scribble on the subject with the brush first, then press Smart select");
  const upload = await postJSON("/api/grabcut", { photo: state.photo.id, subject, background: null });
  await painter.loadMask(layer, uploadUrl(upload));
})));

document.addEventListener("keydown", (event) => {
  if (event.target.closest("input, select, textarea")) return;
  const key = event.key.toLowerCase();
  const undo = (event.ctrlKey || event.metaKey) && key === "z";
  if (undo && event.shiftKey) painter.redo();
  else if (undo) painter.undo();
  else if ((event.ctrlKey || event.metaKey) && key === "y") painter.redo();
  else if (event.ctrlKey || event.metaKey || event.altKey) return;
  else if (key === "b") setTool("brush");
  else if (key === "e") setTool("eraser");
  else if (key === "[" || key === "]") setBrushSize(Math.round(painter.size * (key === "]" ? 1.2 : 1 / 1.2)));
  else return;
  event.preventDefault();
});

painter.setOpacity($("overlay-opacity").valueAsNumber / 100);
painter.softness = $("brush-soft").valueAsNumber / 100;
setBrushSize($("brush-size").value);

// -- segmentations --------------------------------------------------------------------------------------

function setPhotoSegmentation(upload) {
  state.photoSegmentation = upload;
  $("seg-remove").hidden = $("seg-opacity-label").hidden = !upload;
  painter.setSegmentation(upload && uploadUrl(upload), $("seg-opacity").valueAsNumber / 100);
  refreshCommand();
  refreshRegions();
}

filePicker($("seg-pick"), $("seg-file"), ([file]) => busy($("seg-pick"), () => reporting($("seg-error"), async () => {
  if (!state.photo) throw new ApiError("choose the photo first: a segmentation belongs to it");
  setPhotoSegmentation(await postFile("/api/uploads?kind=segmentation", file));
})));
$("seg-remove").addEventListener("click", () => setPhotoSegmentation(null));
$("seg-opacity").addEventListener("input", () => painter.setSegmentation(uploadUrl(state.photoSegmentation), $("seg-opacity").valueAsNumber / 100));

let regionsAsked = 0;

/** The regions the photo's segmentation makes (one note from the server), as a list with colour swatches. */
async function refreshRegions() {
  const asked = ++regionsAsked;
  const ready = state.photo && state.photoSegmentation && state.chosen.length;
  if (!ready) showError($("seg-error"), null);
  let names = [];
  const answer = ready && await reporting($("seg-error"), async () => {
    const job = await spec();
    names = job.styles.map((style) => style.name);
    return postJSON("/api/regions", job);
  });
  if (asked !== regionsAsked) return; // a newer question is on its way
  const items = [];
  if (answer) { // the command line's note, with the paintings named instead of style_segs[k]
    const percent = (share) => (share > 0 && share < 0.005 ? "<1%" : `${Math.round(share * 100)}%`);
    items.push(element("li", { className: "region-head", textContent: `${answer.regions.length} regions` }));
    for (const region of answer.regions) {
      const shares = region.style_shares.map((share, k) => (share === null
        ? `all of ${names[k]} (it has no such region)` : `${percent(share)} of ${names[k]}`));
      const colour = region.name.match(/^#[0-9a-f]{6}/i)?.[0];
      items.push(element("li", {}, colour ? element("span", { className: "swatch", style: `--colour: ${colour}` }) : null,
        `${region.name}: ${percent(region.content_share)} of the photo; ${shares.join(", ")}`));
    }
  }
  $("region-note").replaceChildren(...items);
}

// -- settings and the command line ------------------------------------------------------------------

const DRAFT = "neural-style-studio:draft"; // localStorage key of the last job set up on this page

const numberOrNull = (input) => (input.value === "" ? null : input.valueAsNumber);

/** The job as the server takes it (masks uploaded as needed). */
async function spec() {
  const styles = await Promise.all(state.chosen.map(async (choice) => ({
    name: choice.name,
    weight: Number.isFinite(choice.weight) ? choice.weight : null,
    mask: state.photo ? await maskId(choice.name) : null,
    segmentation: choice.segmentation?.id ?? null,
  })));
  return {
    content: state.photo?.id ?? null,
    styles,
    content_segmentation: state.photoSegmentation?.id ?? null,
    preset: $("preset").value,
    original_colors: $("original-colors").checked,
    color_transfer: $("color-transfer").value,
    seed: numberOrNull($("seed")) ?? 0,
    max_iterations: numberOrNull($("iterations")),
    max_size: numberOrNull($("max-size")),
  };
}

let commandAsked = 0;
const refreshCommand = debounce(async () => {
  const asked = ++commandAsked;
  const box = $("command");
  try {
    const job = await spec();
    const { command } = await postJSON("/api/command", job);
    if (asked !== commandAsked) return;
    localStorage.setItem(DRAFT, JSON.stringify(job)); // a job the server takes: what a reload brings back
    box.textContent = shellLine(command);
    box.classList.remove("invalid");
    showError($("run-error"), null); // what kept the last Start from running is fixed
  } catch (error) {
    if (asked !== commandAsked) return;
    box.textContent = error.message;
    box.classList.add("invalid");
  }
  $("command-copy").disabled = box.classList.contains("invalid");
}, 250);

$("settings").addEventListener("input", refreshCommand);
$("settings").addEventListener("submit", (event) => event.preventDefault());
$("preset").addEventListener("change", () => { $("max-size").placeholder = PRESET_SIZES[$("preset").value]; });
$("iterations").placeholder = DEFAULT_ITERATIONS;
$("seed-new").addEventListener("click", () => {
  $("seed").value = Math.floor(Math.random() * 2 ** 31);
  refreshCommand();
});

$("command-copy").addEventListener("click", async () => {
  const button = $("command-copy");
  try {
    await navigator.clipboard.writeText($("command").textContent);
    button.textContent = "Copied";
  } catch {
    getSelection().selectAllChildren($("command")); // the clipboard is refused: select it for Ctrl+C
    button.textContent = "Press Ctrl+C";
  }
  setTimeout(() => { button.textContent = "Copy"; }, 1500);
});

/** A finished job's photo, paintings, masks and settings back on the page, to change them and run again. */
function reuse(previous) {
  return reporting($("run-error"), () => load(previous, "the photo of a run"));
}

/** Put a job's photo, paintings, masks, segmentations and settings on the page; throws an ApiError
 * when its photo is no longer in the studio. */
async function load(previous, label) {
  const photo = new Image();
  photo.src = uploadUrl({ id: previous.content });
  await photo.decode().catch(() => { throw new ApiError("this run's photo is no longer in the studio"); });
  showPhoto({ id: previous.content, width: photo.naturalWidth, height: photo.naturalHeight }, label);
  state.chosen = previous.styles.map((style, k) => ({ name: style.name, weight: style.weight, colour: COLOURS[k],
    segmentation: style.segmentation && { id: style.segmentation } }));
  chosenChanged();
  for (const style of previous.styles) if (style.mask) await painter.loadMask(style.name, uploadUrl({ id: style.mask }));
  $("preset").value = previous.preset;
  $("max-size").value = previous.max_size ?? "";
  $("iterations").value = previous.max_iterations ?? "";
  $("color-transfer").value = previous.color_transfer;
  $("original-colors").checked = previous.original_colors;
  $("seed").value = previous.seed;
  $("max-size").placeholder = PRESET_SIZES[previous.preset];
  setPhotoSegmentation(previous.content_segmentation && { id: previous.content_segmentation });
}

/** The page as it was before a reload (the last job set up here), if its photo is still in the studio. */
async function restoreDraft() {
  const draft = JSON.parse(localStorage.getItem(DRAFT) ?? "null");
  if (!draft?.content) return;
  try {
    await load(draft, "the photo from before the reload");
  } catch {
    localStorage.removeItem(DRAFT); // its photo was deleted: start afresh
  }
}

// -- runs ---------------------------------------------------------------------------------------------

$("start").addEventListener("click", () => busy($("start"), () => reporting($("run-error"), async () => {
  runs.started(await postJSON("/api/jobs", await spec()));
})));

runs.connect();
renderLayers();
loadLibrary().then(restoreDraft).finally(() => {
  $("paintings-grid").setAttribute("aria-busy", "false"); // the page is ready for a person
  refreshCommand();
});
