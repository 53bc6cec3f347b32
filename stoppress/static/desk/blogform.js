// The blog form: the address (slug) follows the title until edited by hand; the lead image uploads.

import { uploadImage } from "./api.js";

export function slugify(text) {
  return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
    .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 80).replace(/-+$/, "");
}

export function blogForm(form) {
  const title = form.querySelector("#f-title");
  const slug = form.querySelector("#f-slug");
  if (form.hasAttribute("data-new")) {
    let follows = !slug.value;
    slug.addEventListener("input", () => { follows = !slug.value; });
    title.addEventListener("input", () => { if (follows) slug.value = slugify(title.value); });
  }
  const file = form.querySelector("#f-lead-file");
  const src = form.querySelector("#f-lead_src");
  const status = form.querySelector("#f-lead-status");
  const preview = form.querySelector(".lead-preview");
  const submit = form.querySelector('button[type="submit"]');
  const show = (url) => {
    preview.hidden = !url;
    preview.querySelector("img").src = url || "";
  };
  src.addEventListener("change", () => show(src.value.trim()));
  file.addEventListener("change", async () => {
    const picked = file.files[0];
    if (!picked) return;
    status.textContent = `Uploading ${picked.name}…`;
    submit.disabled = true;
    try {
      const answer = await uploadImage(picked);
      src.value = answer.block?.src || answer.src;
      show(src.value);
      status.textContent = `Uploaded, ${answer.width}×${answer.height} pixels. Now write its alt text.`;
      form.querySelector("#f-lead_alt").focus();
    } catch (error) {
      status.textContent = `Not uploaded: ${error.message}`;
    } finally {
      submit.disabled = false;
      file.value = "";
    }
  });
}
