// @ts-check
// A tiny element builder. Text always goes in as text nodes (append), never as HTML: whatever an agent
// put in its arguments is shown, never run.

/**
 * @param {string} tag
 * @param {Record<string, unknown>} [props] attributes; `on<event>` adds a listener; false/null/undefined skip
 * @param {...(Node | string | number | null | undefined | false | Array<Node | string | null | undefined | false>)} children
 * @returns {HTMLElement}
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), /** @type {EventListener} */ (value));
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === "number" ? String(child) : child);
  }
  return element;
}

let counter = 0;

/** A fresh element id, for label/for and aria-* references. */
export function uid(prefix = "el") {
  counter += 1;
  return `${prefix}-${counter}`;
}

/**
 * The element with this id (the page's fixed skeleton).
 * @template {HTMLElement} T
 * @param {string} id
 * @returns {T}
 */
export function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return /** @type {T} */ (element);
}

/** @param {string} message */
export function announce(message) {
  const region = byId("announcer");
  region.textContent = message;
}
