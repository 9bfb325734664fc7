// Runs: the live progress of the job being watched, the history of every job, and two results side
// by side. Everything arrives as server-sent events from /api/events (the first, "hello", lists the jobs).

import { $, element, getJSON, limits, postJSON, reporting, request } from "./common.js";

export const PRESET_SIZES = { preview: 256, default: 512, high: 1024 };
export const DEFAULT_ITERATIONS = 80;
const ACTIVE = new Set(["queued", "running"]);
const EVENT_FIELDS = ["state", "message", "iteration", "max_iterations", "preview", "result"];

const jobFile = (job, name, query = "") => `/api/jobs/${job.id}/${name}${query}`;

/** A finished job that kept an image (done, or cancelled after its first iteration): the server says so. */
const hasResult = (job) => job.result === true;

function jobImage(job) {
  if (hasResult(job)) return jobFile(job, "result.png", `?v=${job.iteration}`);
  return job.preview ? jobFile(job, "preview.jpg", `?i=${job.preview}`) : null;
}

function describe(job) {
  const spec = job.spec;
  const size = spec.max_size ?? PRESET_SIZES[spec.preset];
  const iterations = spec.max_iterations ?? DEFAULT_ITERATIONS;
  const time = new Date(job.created * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return {
    name: spec.styles.map((style) => style.name).join(" + "),
    settings: `${time} · ${size} px · ${iterations} iterations · seed ${spec.seed}`,
  };
}

const number = (value) => (Math.abs(value) >= 1e4 || (value !== 0 && Math.abs(value) < 1e-2) ? value.toExponential(2) : value.toFixed(2));

export class Runs {
  /** `reuse(spec)`: load a job's settings into the page. */
  constructor(reuse) {
    this.jobs = new Map();
    this.watched = null;
    this.cards = new Map(); // job id -> its history card's elements
    this.compared = []; // ids of the (at most two) results ticked for comparison
    this.note = "";
    $("cancel").addEventListener("click", () => this.cancel());
    $("reuse").addEventListener("click", () => {
      this.closeCompare(); // to show the photo and its masks
      reuse(this.jobs.get(this.watched).spec);
    });
    $("compare-close").addEventListener("click", () => this.closeCompare());
  }

  connect() {
    const events = new EventSource("/api/events");
    const connection = $("connection");
    events.onopen = () => {
      connection.textContent = "connected";
      connection.dataset.state = "live";
    };
    events.onerror = () => {
      connection.textContent = "connection lost: reconnecting…";
      connection.dataset.state = "lost";
    };
    events.onmessage = (message) => this.handle(JSON.parse(message.data));
  }

  handle(event) {
    if (event.type === "hello") {
      limits.maxUpload = event.max_upload;
      this.jobs = new Map(event.jobs.map((job) => [job.id, job]));
      if (!this.jobs.has(this.watched)) {
        const jobs = [...this.jobs.values()];
        this.watched = (jobs.find((job) => ACTIVE.has(job.state)) ?? jobs.at(-1))?.id ?? null;
      }
      this.renderHistory();
      this.renderRun();
      return;
    }
    if (event.type === "deleted") {
      this.forget(event.job);
      return;
    }
    // A job not seen yet (queued in another tab, or before our POST answered) starts as a stub: id and
    // what the events say; its record (spec, command...) is fetched.
    const job = this.jobs.get(event.job) ?? { id: event.job };
    this.jobs.set(job.id, job);
    if (event.type === "state") {
      Object.assign(job, { state: event.state, message: event.message, result: event.result === true });
    } else if (event.type === "progress") {
      Object.assign(job, { iteration: event.iteration, max_iterations: event.max_iterations, progress: event });
      if (job.state === "queued") job.state = "running"; // an event older than the hello may have said queued
      if (event.preview) job.preview = event.preview;
    } else if (event.type === "note" && job.id === this.watched) {
      this.note = event.text;
    }
    const finished = event.type === "state" && !ACTIVE.has(event.state);
    if (!job.spec || finished) this.refresh(job.id); // finished: its final iteration, whether it kept an image
    this.render(job);
  }

  render(job) {
    if (!job.spec) return;
    if (this.cards.has(job.id)) this.renderCard(job);
    else this.renderHistory();
    if (job.id === this.watched) this.renderRun();
  }

  async refresh(id) {
    await reporting($("history-error"), async () => this.render(this.merge(await getJSON(`/api/jobs/${id}`))));
  }

  /** A job's record from the server under what its events said: they are as new as the record, or newer. */
  merge(record) {
    const job = this.jobs.get(record.id) ?? { id: record.id };
    const told = Object.fromEntries(EVENT_FIELDS.filter((key) => job[key] !== undefined).map((key) => [key, job[key]]));
    this.jobs.set(record.id, Object.assign(job, record, told));
    return job;
  }

  /** A job the page has just queued: watch it. */
  started(record) {
    this.merge(record);
    this.watch(record.id);
  }

  watch(id) {
    this.watched = id;
    this.note = "";
    this.renderHistory();
    this.renderRun();
  }

  async cancel() {
    const id = this.watched;
    await reporting($("run-error"), async () => {
      this.render(this.merge(await postJSON(`/api/jobs/${id}/cancel`, {})));
    });
  }

  async delete(id) {
    const { name } = describe(this.jobs.get(id));
    if (!confirm(`Delete this run of ${name} and its images?`)) return;
    await reporting($("history-error"), async () => {
      await request(`/api/jobs/${id}`, { method: "DELETE" });
      this.forget(id); // the "deleted" event says the same, to every open page
    });
  }

  forget(id) {
    if (!this.jobs.delete(id)) return;
    this.cards.delete(id);
    this.compared = this.compared.filter((other) => other !== id);
    if (this.watched === id) this.watched = null;
    this.renderHistory();
    this.renderRun();
    this.renderCompare();
  }

  // -- the watched job ----------------------------------------------------------------------------

  renderRun() {
    const job = this.jobs.get(this.watched)?.spec ? this.jobs.get(this.watched) : null;
    $("run").hidden = !job;
    $("cancel").disabled = !job || !ACTIVE.has(job.state);
    if (!job) return;
    const { name, settings } = describe(job);
    const badge = $("run-state");
    badge.textContent = job.state;
    badge.dataset.state = job.state;
    $("run-name").textContent = name;
    $("run-progress").value = job.max_iterations ? job.iteration / job.max_iterations : 0;
    $("progress-text").textContent = this.progressText(job);
    this.renderLoss(job.state === "running" ? job.progress : null);
    $("run-message").textContent = [settings, job.state === "running" ? this.note : ""].filter(Boolean).join(" · ");
    const image = $("current-image");
    const source = jobImage(job);
    image.hidden = !source;
    if (source && image.getAttribute("src") !== source) image.src = source;
    $("download-png").hidden = $("download-json").hidden = !hasResult(job);
    $("download-png").href = jobFile(job, "result.png", "?download=1");
    $("download-json").href = jobFile(job, "result.json", "?download=1");
  }

  progressText(job) {
    const progress = job.progress;
    if (job.state === "queued") {
      const ahead = [...this.jobs.values()].filter((other) => ACTIVE.has(other.state) && other.created < job.created).length;
      return ahead ? `Waiting: ${ahead} job${ahead > 1 ? "s" : ""} ahead` : "Waiting to start";
    }
    if (job.state === "running") {
      return progress
        ? `Iteration ${progress.iteration} of ${progress.max_iterations} · scale ${progress.scale + 1} of ${progress.scales} · ${progress.size} px`
        : "Starting: loading the network and the paintings…";
    }
    return job.state === "done" ? `Finished: ${job.message}` : job.message || job.state;
  }

  renderLoss(progress) {
    const list = $("loss-parts");
    list.replaceChildren();
    if (!progress) return;
    for (const [label, value] of [["loss", progress.loss], ...Object.entries(progress.parts)]) {
      list.append(element("dt", { textContent: label }), element("dd", { textContent: number(value) }));
    }
  }

  // -- history ------------------------------------------------------------------------------------

  /** Every job, newest first; cards are kept and updated in place, so images load once. */
  renderHistory() {
    const jobs = [...this.jobs.values()].filter((job) => job.spec).reverse();
    $("history").replaceChildren(...jobs.map((job) => this.renderCard(job)));
    $("history-empty").hidden = jobs.length > 0;
  }

  renderCard(job) {
    const card = this.cards.get(job.id) ?? this.card(job);
    this.cards.set(job.id, card);
    const source = jobImage(job);
    const shown = card.thumb.querySelector("img");
    if (!source) card.thumb.replaceChildren(element("span", { textContent: job.state }));
    else if (shown?.getAttribute("src") !== source) card.thumb.replaceChildren(element("img", { src: source, alt: "" }));
    card.badge.textContent = card.badge.dataset.state = card.item.dataset.state = job.state;
    card.compare.disabled = !hasResult(job);
    card.compare.checked = this.compared.includes(job.id);
    card.links.hidden = !hasResult(job);
    card.remove.hidden = ACTIVE.has(job.state);
    card.item.classList.toggle("watched", job.id === this.watched);
    return card.item;
  }

  card(job) {
    const { name, settings } = describe(job);
    const thumb = element("button", { type: "button", className: "job-thumb", title: `Show this run: ${name}` });
    thumb.addEventListener("click", () => this.watch(job.id));
    const compare = element("input", { type: "checkbox" });
    compare.dataset.testid = "compare-toggle";
    compare.addEventListener("change", () => this.toggleCompare(job.id, compare.checked));
    const links = element("span", { className: "links" },
      element("a", { href: jobFile(job, "result.png", "?download=1"), textContent: "PNG", download: "" }),
      element("a", { href: jobFile(job, "result.json", "?download=1"), textContent: "JSON", download: "" }));
    const remove = element("button", { type: "button", className: "link-button", textContent: "Delete",
      title: "Delete this run and its images" });
    remove.dataset.testid = "delete-job";
    remove.addEventListener("click", () => this.delete(job.id));
    const badge = element("span", { className: "badge" });
    const item = element("li", { className: "job" }, thumb,
      element("div", { className: "job-info" },
        element("p", {}, badge, " ", element("span", { className: "job-name", textContent: name })),
        element("p", { className: "hint", textContent: settings }),
        element("p", { className: "job-actions" }, element("label", {}, compare, " Compare"), links, remove)));
    Object.assign(item.dataset, { job: job.id, testid: "history-item" });
    return { item, thumb, badge, compare, links, remove };
  }

  // -- comparing two results ----------------------------------------------------------------------

  toggleCompare(id, on) {
    this.compared = this.compared.filter((other) => other !== id);
    if (on) this.compared = [...this.compared, id].slice(-2);
    this.renderHistory();
    this.renderCompare();
  }

  closeCompare() {
    this.compared = [];
    this.renderHistory();
    this.renderCompare();
  }

  renderCompare() {
    const jobs = this.compared.map((id) => this.jobs.get(id)).filter(Boolean);
    const showing = jobs.length === 2;
    $("compare").hidden = !showing;
    $("stage").hidden = showing;
    if (!showing) return;
    $("compare-images").replaceChildren(...jobs.map((job, k) => {
      const { name, settings } = describe(job);
      return element("figure", {},
        element("img", { src: jobImage(job), alt: `Result ${k + 1}: ${name}` }),
        element("figcaption", {}, element("strong", { textContent: name }), element("br"), settings));
    }));
  }
}
