// The venue screen's script: asks the page's code address for the current code (or when sign-in
// opens), redraws it before it expires, counts down, and fits a long title into the header.
// The link's signature is in the address's fragment (#sig=…), which the browser never sends: the
// script keeps it in this tab's sessionStorage (so a reload still works), takes it out of the address
// bar, and sends it in a header with each request, so it is never written to an access log.
(function () {
  "use strict";
  var body = document.body;
  var codeUrl = body.getAttribute("data-code-url");
  var action = body.getAttribute("data-action");
  var signatureHeader = body.getAttribute("data-signature-header");
  var signature = readSignature();
  var box = document.getElementById("code");
  var notice = document.getElementById("notice");
  var status = document.getElementById("status");
  var title = document.getElementById("title");
  var nextAt = 0; // when the code changes
  var opensAt = 0; // when sign-in opens, while waiting for it
  var mode = "loading"; // "open", "waiting" or "error"

  function readSignature() {
    var key = "screen-signature:" + location.pathname + location.search;
    var match = /(?:^#|&)sig=([^&]*)/.exec(location.hash);
    var value = match ? decodeURIComponent(match[1]) : "";
    try {
      if (value) {
        sessionStorage.setItem(key, value);
      } else {
        value = sessionStorage.getItem(key) || "";
      }
    } catch (ignored) { /* storage refused: the fragment stays, so a reload still works */
      return value;
    }
    if (match) { history.replaceState(null, "", location.pathname + location.search); }
    return value;
  }

  function showEvent(event) {
    var meta = event.span + (event.location ? "\u3000" + event.location : "");
    document.getElementById("kind").textContent = event.kind;
    document.getElementById("meta").textContent = meta;
    document.title = action + "：" + event.title;
    if (title.textContent !== event.title) {
      title.textContent = event.title;
      fitTitle();
    }
  }

  function setStatus(text, isError) {
    status.textContent = text;
    status.className = isError ? "error" : "";
  }

  function showNotice(text, isError) {
    box.hidden = true;
    box.innerHTML = "";
    box.setAttribute("data-qr", "");
    notice.textContent = text;
    notice.className = isError ? "error" : "";
    notice.hidden = false;
  }

  function duration(seconds) {
    var hours = Math.floor(seconds / 3600), minutes = Math.floor(seconds % 3600 / 60), rest = seconds % 60;
    if (hours) { return hours + " 小时 " + minutes + " 分"; }
    if (minutes) { return minutes + " 分 " + rest + " 秒"; }
    return rest + " 秒";
  }

  function tick() {
    var target = mode === "waiting" ? opensAt : nextAt;
    if (!target) { return; }
    var left = Math.max(0, Math.ceil((target - Date.now()) / 1000));
    if (mode === "open") { setStatus(left + " 秒后更新"); }
    if (mode === "waiting") { setStatus("距" + action + "开始还有 " + duration(left)); }
  }

  // Shrink the title until the header is at most a fifth of the window; past the smallest size,
  // clamp it to three lines (its full text stays in the tooltip).
  function fitTitle() {
    var largest = 5, smallest = 2.6, size;
    title.classList.remove("clamped");
    title.removeAttribute("title");
    for (size = largest; size >= smallest; size -= 0.2) {
      title.style.fontSize = size + "vh";
      if (title.getBoundingClientRect().height <= window.innerHeight * 0.2) { return; }
    }
    title.classList.add("clamped");
    title.setAttribute("title", title.textContent);
  }

  function load() {
    var headers = {};
    headers[signatureHeader] = signature;
    fetch(codeUrl, {cache: "no-store", headers: headers}).then(function (response) {
      return response.json().then(function (answer) { return {ok: response.ok, body: answer}; });
    }).then(function (answer) {
      var data = answer.body;
      if (!answer.ok) {
        mode = "error";
        nextAt = 0;
        showNotice((data.error && data.error.message) || "无法获取" + action + "码", true);
        setStatus("");
        setTimeout(load, 10000);
        return;
      }
      showEvent(data.event);
      nextAt = Date.now() + data.refresh_in * 1000;
      if (data.state === "waiting") {
        mode = "waiting";
        opensAt = Date.now() + data.opens_in * 1000;
        showNotice(data.message, false);
      } else {
        mode = "open";
        notice.hidden = true;
        box.innerHTML = data.svg;
        box.setAttribute("data-qr", data.qr);
        box.hidden = false;
      }
      tick();
      setTimeout(load, data.refresh_in * 1000 + 200);
    }).catch(function () {
      setStatus("网络异常，正在重试……", true);
      setTimeout(load, 3000);
    });
  }

  fitTitle();
  window.addEventListener("resize", fitTitle);
  setInterval(tick, 1000);
  load();
})();
