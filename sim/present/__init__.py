"""Pictures and pages: figures, report.html and the trainer's explore.html, from result folders."""
