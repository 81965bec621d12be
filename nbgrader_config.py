"""nbgrader configuration: solutions/ is the source, lessons/ the release (one folder each).

Used by tools/make_lessons.py and tools/grade.py; run nbgrader from the repository root.
"""

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "bayes-multilevel"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "lessons"

# What a student sees in place of a worked answer. The message is what the cell raises
# until the student answers, and what the checks after it report.
c.ClearSolutions.code_stub = {
    "python": '# YOUR CODE HERE\nraise NotImplementedError("not answered yet")',
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
