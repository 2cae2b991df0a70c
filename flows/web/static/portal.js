/* Upload progress for the report form; without JavaScript the form posts as it is. */
(function () {
  var form = document.querySelector("form.report-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  var bar = form.querySelector("progress.upload");
  var button = form.querySelector("button[type=submit]");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (button.disabled) return;
    button.disabled = true;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable && bar) { bar.hidden = false; bar.value = Math.round((e.loaded / e.total) * 100); }
    };
    xhr.onload = function () {
      if (xhr.status < 400 && xhr.responseURL) { window.location.href = xhr.responseURL; return; }
      document.open(); document.write(xhr.responseText); document.close();
    };
    xhr.onerror = function () { button.disabled = false; form.submit(); };
    xhr.send(new FormData(form));
  });
})();
