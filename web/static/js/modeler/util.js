// Small DOM helpers shared by the modeler pages (no innerHTML for anything built from data).

export function readJson(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : {};
}

export function csrfHeaders() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? { "X-CSRFToken": meta.content } : {};
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined) node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}
