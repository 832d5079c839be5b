"""Zoo recipes: one YAML per preset, zoo_configs/<family>/<preset>.yaml."""
