"""Result folders: writing them (atomically), reading them back, and their text."""
