// 用我的位置 / Use my location: next to every "near" field (latitude,longitude), a button that
// fills it from the browser's location when the reader asks. The only script Yinhu serves; the
// Content-Security-Policy allows this one file and nothing else. Without it (or without
// permission) the field is typed as before.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  if (!("geolocation" in navigator)) return;
  for (const input of document.querySelectorAll("input[name=near][data-locate]")) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "locate tap";
    button.textContent = input.dataset.locate;
    button.addEventListener("click", () => {
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(
        (where) => {
          input.value = where.coords.latitude.toFixed(5) + "," + where.coords.longitude.toFixed(5);
          button.disabled = false;
        },
        () => {
          button.textContent = input.dataset.locateFailed;
          button.disabled = false;
        },
        { timeout: 10000, maximumAge: 600000 },
      );
    });
    input.insertAdjacentElement("afterend", button);
  }
});
