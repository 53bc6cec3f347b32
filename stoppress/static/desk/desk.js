// The desk's entry point: sets up what the current page has.

import { blogForm } from "./blogform.js";
import { Composer } from "./composer.js";
import { confirmForms, copyButtons } from "./dialog.js";
import { KeyPoints } from "./keypoints.js";
import { Timeline } from "./timeline.js";

confirmForms();
copyButtons();

const page = document.body.dataset.page;

if (page === "blog-form") blogForm(document.querySelector("form.blog-form"));

if (page === "blog") {
  const desk = document.getElementById("blog-desk");
  const options = {
    slug: desk.dataset.slug,
    timeZone: desk.dataset.timezone,
    canPublish: desk.dataset.canPublish === "true",
  };
  const kpForm = document.querySelector(".kp-form");
  const keyPoints = kpForm ? new KeyPoints(kpForm, { slug: options.slug, lang: document.getElementById("blog-title").lang }) : null;
  const timeline = new Timeline(desk, { keyPoints });
  new Composer(document.querySelector(".composer-area form.composer"), {
    ...options,
    mode: "new",
    onDone: (entry) => {
      timeline.ours.add(entry.code);
      timeline.refresh(entry.code);
    },
  });
}
