// Console behaviour without inline script (CSP script-src 'self'): confirmation for destructive forms.
// The question is read from the button that submitted the form (data-confirm on a <button>) and
// otherwise from the <form> itself, so either placement asks; a dismissed question submits nothing.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var button = event.submitter;
  var question = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
