// Swagger UI over the OpenAPI document; served with the app, never from a CDN.
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({ url: box.dataset.spec, dom_id: "#swagger-ui", deepLinking: false });
});
