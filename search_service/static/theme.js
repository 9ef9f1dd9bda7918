// Applies the remembered theme before the page paints (loaded in <head>, not deferred).
// Without a remembered choice the CSS follows prefers-color-scheme.
(function () {
  try {
    var theme = localStorage.getItem("theme");
    if (theme === "light" || theme === "dark") {
      document.documentElement.setAttribute("data-theme", theme);
    }
  } catch (e) { /* storage disabled: follow the system */ }
})();
