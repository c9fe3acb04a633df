"""python -m bench [--scale …] [--database …]   |   python -m bench load […]"""
import sys

if len(sys.argv) > 1 and sys.argv[1] == "load":
    from bench.load import main as load_main

    load_main(sys.argv[2:])
else:
    from bench.run import main

    main(sys.argv[1:])
