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
