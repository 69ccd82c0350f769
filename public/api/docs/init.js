// Starts Swagger UI from this same-origin file, so the page's Content-Security-Policy needs no
// inline script. The page (src/features/docs/) names the OpenAPI document in data-openapi-url.
const container = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({
  url: container.dataset.openapiUrl,
  domNode: container,
  deepLinking: true,
  persistAuthorization: true,
  // The default shows a badge image from validator.swagger.io: nothing may come from another host.
  validatorUrl: null,
});
