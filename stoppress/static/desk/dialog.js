// Small shared pieces: the confirmation dialog, copy buttons, and forms that ask before they act.

import { announce } from "./api.js";

/** Asks in the page's confirmation dialog; resolves to true when the person confirms. */
export function confirmDialog(message, { confirm = "Confirm", title = "Are you sure?" } = {}) {
  const dialog = document.getElementById("confirm-dialog");
  if (!dialog) return Promise.resolve(window.confirm(message));
  dialog.querySelector("#confirm-title").textContent = title;
  dialog.querySelector("#confirm-message").textContent = message;
  dialog.querySelector("#confirm-yes").textContent = confirm;
  const opener = document.activeElement;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "confirm");
      if (opener?.isConnected) opener.focus();
    }, { once: true });
    dialog.returnValue = "cancel";
    dialog.showModal();
  });
}

/** Forms with data-confirm ask first (deleting a user, ending a blog, revoking a token). */
export function confirmForms(root = document) {
  root.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", async (event) => {
      if (form.dataset.confirmed) return;
      event.preventDefault();
      if (await confirmDialog(form.dataset.confirm, { confirm: form.dataset.confirmButton || "Confirm" })) {
        form.dataset.confirmed = "yes";
        form.requestSubmit(event.submitter || undefined);
      }
    });
  });
}

/** Buttons with data-copy="ID" copy that field's text. */
export function copyButtons(root = document) {
  root.querySelectorAll("[data-copy]").forEach((button) => {
    button.addEventListener("click", async () => {
      const field = document.getElementById(button.dataset.copy);
      try {
        await navigator.clipboard.writeText(field.value);
        announce("Copied.");
      } catch {
        field.select();
        announce("Selected: press Ctrl+C to copy.");
      }
      const label = button.textContent;
      button.textContent = "Copied";
      setTimeout(() => { button.textContent = label; }, 2000);
    });
  });
}
