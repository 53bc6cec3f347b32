// Talking to the server: the JSON API with the session cookie and its CSRF token, and the desk's fragments.

const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

export class ApiError extends Error {
  constructor(status, detail, problem = {}) {
    super(detail);
    this.status = status;
    this.problem = problem;
  }
}

async function problemOf(response) {
  try {
    const data = await response.json();
    return new ApiError(response.status, data.detail || `The server answered ${response.status}.`, data);
  } catch {
    const messages = {
      401: "Your session has ended. Sign in again in another tab, then try again.",
      413: "That is too large for the server.",
    };
    return new ApiError(response.status, messages[response.status] || `The server answered ${response.status}; try again.`);
  }
}

/** A JSON API call; resolves to the answer's JSON (or null for 204), rejects with ApiError. */
export async function api(method, path, body, { ifMatch } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrf();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (ifMatch !== undefined) headers["If-Match"] = `"${ifMatch}"`;
  let response;
  try {
    response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, "The server cannot be reached. Check the connection; your text is kept here.");
  }
  if (!response.ok) throw await problemOf(response);
  return response.status === 204 ? null : response.json();
}

/** Uploads a picture to /api/v1/media; resolves to {name, src, width, height, widths, block}. */
export async function uploadImage(file) {
  let response;
  try {
    response = await fetch("/api/v1/media", {
      method: "POST",
      headers: { "Content-Type": file.type || "application/octet-stream", "X-CSRF-Token": csrf(), Accept: "application/json" },
      body: file,
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, "The picture could not be sent: the server cannot be reached.");
  }
  if (!response.ok) throw await problemOf(response);
  return response.json();
}

/** A desk HTML fragment (a timeline card, the history of an entry). */
export async function fragment(path) {
  const response = await fetch(path, { credentials: "same-origin", headers: { Accept: "text/html" } });
  if (!response.ok) throw await problemOf(response);
  return response.text();
}

/** Says something to screen readers, politely. */
export function announce(message) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  // A fresh text node after a tick, so the same message twice is read twice.
  setTimeout(() => { region.textContent = message; }, 50);
}

/** Parses trusted server HTML (our own templates) into nodes. */
export function nodesFrom(html) {
  const template = document.createElement("template");
  template.innerHTML = html.trim();
  return template.content;
}
