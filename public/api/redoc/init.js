// Starts ReDoc from this same-origin file, so the page's Content-Security-Policy needs no inline
// script. ReDoc adds its styles as <style> elements: they carry this script's nonce, the one the
// page's policy allows (style-src 'nonce-...'), instead of 'unsafe-inline'.
const container = document.getElementById("redoc");
Redoc.init(container.dataset.specUrl, { nonce: document.currentScript.nonce }, container);
