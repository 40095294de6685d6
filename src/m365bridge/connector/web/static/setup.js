// Copy buttons on the setup's last step: each copies the value named by its data-copy attribute.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const value = document.getElementById(button.dataset.copy);
  if (value && navigator.clipboard) {
    navigator.clipboard.writeText(value.textContent.trim()).then(() => { button.textContent = "Copied"; });
  }
});
