#!/usr/bin/env python
from renkou.cli import main

if __name__ == "__main__":
    main()
