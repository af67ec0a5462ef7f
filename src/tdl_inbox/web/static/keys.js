// Keys for working through the queue without the mouse. The page works without this file:
// every key only follows a link or presses a button that is on the page.
(function () {
  "use strict";

  function typing(target) {
    if (!(target instanceof Element)) {
      return false;
    }
    return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
  }

  function follow(rel) {
    const link = document.querySelector('a[rel~="' + rel + '"]');
    if (link) {
      window.location.assign(link.href);
    }
  }

  function press(id) {
    const button = document.getElementById(id);
    if (button) {
      button.click();
    }
  }

  function saveAndNext() {
    const button = document.getElementById("save-next");
    if (!button || !button.form) {
      return false;
    }
    // requestSubmit runs the form's checks and sends the button's name=action value=next.
    button.form.requestSubmit(button);
    return true;
  }

  function toggleHelp() {
    const help = document.getElementById("keys-help");
    if (help) {
      help.open = !help.open;
      if (help.open) {
        help.scrollIntoView({block: "nearest"});
      }
    }
  }

  // Chromium's PDF viewer takes the focus when it shows an error (a damaged PDF), and keys
  // typed then go to the viewer. The focus goes back where it was unless the grader moved into the frame on
  // purpose: the pointer is over it (a click) or the last key was Tab.
  let pointerOver = null;
  let lastKey = "";
  let lastFocused = null;
  for (const frame of document.querySelectorAll("iframe.pdf")) {
    frame.addEventListener("mouseenter", function () { pointerOver = frame; });
    frame.addEventListener("mouseleave", function () { pointerOver = null; });
  }
  document.addEventListener("focusin", function (event) {
    if (!(event.target instanceof HTMLIFrameElement)) {
      lastFocused = event.target;
    }
  });
  window.addEventListener("blur", function () {
    window.setTimeout(function () {
      const active = document.activeElement;
      if (active && active.matches("iframe.pdf") && active !== pointerOver && lastKey !== "Tab") {
        active.blur();
        window.focus();
        if (lastFocused && document.contains(lastFocused)) {
          lastFocused.focus();
        }
      }
    }, 0);
  });
  document.addEventListener("keydown", function (event) { lastKey = event.key; }, true);

  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      if (saveAndNext()) {
        event.preventDefault();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
      return;
    }
    const actions = {
      "j": function () { follow("next"); },
      "k": function () { follow("prev"); },
      "c": function () { press("claim"); },
      "g": function () {
        const points = document.getElementById("points");
        if (points) {
          points.focus();
          points.select();
        }
      },
      "?": toggleHelp,
      "Escape": function () {
        const help = document.getElementById("keys-help");
        if (help) {
          help.open = false;
        }
      },
    };
    const action = actions[event.key];
    if (action) {
      event.preventDefault();  // "g" must not also type a g into the field it focuses
      action();
    }
  });
}());
