// The intake chat, enhanced (intake/chat.html works without this file): turns go with fetch()
// without a page load, the server's fragments are appended to the log (never re-rendered), focus
// returns to the answer; long lists get a filter; questions can be read aloud where the phone has a
// voice for the page's language. If a fetch fails, the form is sent the normal way.
(function () {
  "use strict";
  var log = document.getElementById("chat-log");
  var composer = document.getElementById("chat-composer");
  if (!log || !composer || !window.fetch || !window.FormData || !("content" in document.createElement("template"))) return;
  var lang = document.documentElement.lang || "nl";
  var busy = false;
  var clicked = null;

  function each(root, selector, fn) { Array.prototype.forEach.call(root.querySelectorAll(selector), fn); }

  // -- turns ----------------------------------------------------------------------------------
  function append(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    // An id in the new messages moves to them (a question asked again, the current anchor).
    each(template.content, "[id]", function (el) {
      var old = document.getElementById(el.id);
      if (old) old.removeAttribute("id");
    });
    log.appendChild(template.content);
  }

  function visible(el) { return !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length); }

  function focusAnswer() {
    var target = Array.prototype.filter.call(composer.querySelectorAll("[data-focus]"), visible)[0];
    if (target) {
      target.focus();
      if (target.scrollIntoView) target.scrollIntoView({ block: "nearest" });
    }
  }

  function swap(html) {
    composer.innerHTML = html;
    enhance(composer);
    focusAnswer();
  }

  function plain(form, submitter) {
    // The normal way: a POST and a redirect. A button's name and value go along as a hidden field.
    if (submitter && submitter.name) {
      var field = document.createElement("input");
      field.type = "hidden";
      field.name = submitter.name;
      field.value = submitter.value;
      form.appendChild(field);
    }
    HTMLFormElement.prototype.submit.call(form);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[type=submit]");
    if (button) clicked = button;
  }, true);

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-chat")) return;
    event.preventDefault();
    if (busy) return;
    var submitter = event.submitter || clicked;
    var data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    var token = form.querySelector("[name=csrf_token]");
    busy = true;
    composer.setAttribute("aria-busy", "true");
    fetch(form.getAttribute("action"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "Accept": "application/json", "X-CSRFToken": token ? token.value : "" }
    }).then(function (response) {
      if ((response.headers.get("Content-Type") || "").indexOf("application/json") !== 0) throw new Error("not JSON");
      return response.json();
    }).then(function (reply) {
      busy = false;
      composer.removeAttribute("aria-busy");
      if (reply.redirect) { window.location.assign(reply.redirect); return; }
      if (reply.log) append(reply.log);
      if (typeof reply.composer === "string") swap(reply.composer);
      if (reply.title) document.title = reply.title;
      speakers();
    }).catch(function () {
      busy = false;
      plain(form, submitter);
    });
  });

  // -- long lists: type to filter -------------------------------------------------------------
  var FOLD = { "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ی": "ي", "ئ": "ي", "ک": "ك", "ة": "ه", "ؤ": "و" };

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f\u064b-\u065f\u0670\u0640]/g, "").toLowerCase()
      .replace(/[أإآٱىیئکةؤ]/g, function (ch) { return FOLD[ch]; });
  }

  function enhance(root) {
    each(root, "[data-filter]", function (box) {
      var select = box.querySelector("select");
      var input = box.querySelector("input[type=search]");
      var matches = box.querySelector("[data-matches]");
      var none = box.querySelector("[data-nomatch]");
      if (!select || !input || !matches) return;
      var options = Array.prototype.filter.call(select.options, function (o) { return o.value; });
      var folded = options.map(function (o) { return fold(o.text); });
      each(box, "[data-enhanced]", function (el) { el.hidden = false; });
      each(box, "[data-select]", function (el) { el.hidden = true; });
      select.disabled = true; // the picked button is the answer
      function show() {
        var q = fold(input.value.trim());
        // Names that start with what was typed, then names with a word that does, then the rest.
        var tiers = [[], [], []];
        options.forEach(function (o, i) {
          if (!q) { if (o.hasAttribute("data-common") || o.selected) tiers[0].push(o); return; }
          var at = folded[i].indexOf(q);
          if (at === 0) tiers[0].push(o);
          else if (folded[i].indexOf(" " + q) > 0) tiers[1].push(o);
          else if (at > 0) tiers[2].push(o);
        });
        var list = tiers[0].concat(tiers[1], tiers[2]).slice(0, 24);
        matches.textContent = "";
        list.forEach(function (o) {
          var button = document.createElement("button");
          button.type = "submit";
          button.name = "answer";
          button.value = o.value;
          button.className = "chat-reply" + (o.selected ? " chat-reply--chosen" : "");
          button.textContent = o.text;
          matches.appendChild(button);
        });
        if (none) none.hidden = list.length > 0;
      }
      input.addEventListener("input", show);
      input.addEventListener("keydown", function (event) {
        if (event.key !== "Enter") return;
        event.preventDefault();
        var first = matches.querySelector("button");
        if (first) first.click();
      });
      show();
    });
  }

  // -- read aloud -----------------------------------------------------------------------------
  var synth = window.speechSynthesis;
  var voice = null;

  function findVoice() {
    var base = lang.toLowerCase().split(/[-_]/)[0];
    return synth.getVoices().filter(function (v) {
      return (v.lang || "").toLowerCase().split(/[-_]/)[0] === base;
    })[0] || null;
  }

  function speakers() {
    if (!synth || !window.SpeechSynthesisUtterance) return;
    voice = voice || findVoice();
    if (voice) each(document, ".chat-speak[hidden]", function (button) { button.hidden = false; });
  }

  function say(button) {
    var bubble = button.closest(".chat-msg");
    var parts = [];
    each(bubble, "p", function (p) { parts.push(p.textContent); });
    // The question asked now: its answers too, for someone who reads little.
    var label = bubble.querySelector(".chat-say");
    if (label && label.id && composer.querySelector('[aria-labelledby="' + label.id + '"]')) {
      each(composer, ".chat-reply, .choice label", function (el) { parts.push(el.textContent); });
    }
    synth.cancel();
    var text = parts.map(function (part) {
      part = part.trim();
      return /[.?!؟:;،。]$/.test(part) ? part : part + ".";
    }).join(" ");
    var utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = lang;
    try { utterance.voice = voice; } catch (ignored) { /* the language alone picks one */ }
    utterance.onend = utterance.onerror = function () { button.classList.remove("chat-speak--on"); };
    button.classList.add("chat-speak--on");
    synth.speak(utterance);
  }

  if (synth && window.SpeechSynthesisUtterance) {
    if (synth.addEventListener) synth.addEventListener("voiceschanged", speakers);
    else synth.onvoiceschanged = speakers;
    document.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest(".chat-speak");
      if (button && voice) say(button);
    });
  }

  enhance(composer);
  speakers();
})();
