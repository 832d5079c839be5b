from setuptools import find_packages, setup

setup(
    name="ganzoo",
    version="0.1.0",
    description="A GAN model zoo for TensorFlow 2.21 and Keras 3",
    long_description=open("README.md").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=find_packages(include=["ganzoo", "ganzoo.*"]) + ["ganzoo.zoo_configs"],
    package_dir={"ganzoo.zoo_configs": "zoo_configs"},
    package_data={"ganzoo.zoo_configs": ["*/*.yaml"], "ganzoo": ["metrics/weights/*.h5"]},
    install_requires=[
        "tensorflow==2.21.*",
        "keras>=3.15.1",
        "tensorflow-datasets",
        "importlib_resources",
        "tensorboard",
        "numpy",
        "scipy",
        "pillow",
        "pyyaml",
        "scikit-learn",
        "tensorflow-serving-api==2.21.*",
        "ai-edge-litert",
    ],
    extras_require={"test": ["pytest"], "gpu": ["tensorflow[and-cuda]==2.21.*"]},
    entry_points={"console_scripts": ["ganzoo=ganzoo.cli:main"]},
)
