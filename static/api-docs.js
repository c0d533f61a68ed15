// The API documentation page: Swagger UI (vendored) reads the registry's OpenAPI document.
(function () {
  var element = document.getElementById("api-documentation");
  if (!element || typeof SwaggerUIBundle === "undefined") { return; }
  SwaggerUIBundle({
    url: element.getAttribute("data-spec-url"),
    domNode: element,
    deepLinking: true,
    // Calls from the page go with its session (and CSRF header for writes), or a token.
    requestInterceptor: function (request) {
      var meta = document.querySelector("meta[name=csrf-token]");
      if (meta && request.method !== "GET") { request.headers["X-CSRFToken"] = meta.content; }
      return request;
    }
  });
})();
