// What the page's modules share: requests to the studio's API (every error an ApiError carrying the
// server's one-line message) and building elements.

export class ApiError extends Error {}

/** A request to the studio's API: its JSON answer, or an ApiError with the server's one-line message. */
export async function request(url, options = {}) {
  let response;
  try {
    response = await fetch(url, options);
  } catch {
    throw new ApiError("the studio is not answering: is it still running?");
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(body?.error ?? `${response.status} ${response.statusText}`);
  return body;
}

export const getJSON = (url) => request(url);

export const postJSON = (url, data) =>
  request(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(data) });

/** What the server takes, from its "hello" event (runs.js); until then the server's own answer decides. */
export const limits = { maxUpload: Infinity };

/** Send a file or blob as the raw request body; a file over the server's size limit is refused here,
 * before its bytes are sent (a browser that is still sending may never see the server's 413). */
export function postFile(url, blob) {
  if (blob.size > limits.maxUpload) {
    const mb = (bytes) => `${Math.round(bytes / 2 ** 20)} MB`;
    return Promise.reject(new ApiError(`the file is ${mb(blob.size)}; the studio takes up to ${mb(limits.maxUpload)}`));
  }
  return request(url, { method: "POST", body: blob });
}

/** Show an error's message in `element` (a role="alert" paragraph); null hides it. */
export function showError(element, error) {
  element.textContent = error ? error.message ?? String(error) : "";
  element.hidden = !error;
}

/** Run `work`, showing its error in `element`; returns its result, or undefined when it failed. */
export async function reporting(element, work) {
  showError(element, null);
  try {
    return await work();
  } catch (error) {
    showError(element, error);
    if (!(error instanceof ApiError)) console.error(error);
  }
}

export const $ = (id) => document.getElementById(id);

/** A new element with these properties and children (null children are left out). */
export function element(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((child) => child !== null));
  return node;
}
