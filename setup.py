"Build drop_nb from `settings.ini`, the one source of its metadata."
from configparser import ConfigParser
from pathlib import Path
import setuptools

here = Path(__file__).parent
cfg = ConfigParser(delimiters=['='])
cfg.read(here/'settings.ini', encoding='utf-8')
cfg = cfg['DEFAULT']

licenses = {'apache2': ('Apache-2.0', 'License :: OSI Approved :: Apache Software License')}
statuses = ['1 - Planning', '2 - Pre-Alpha', '3 - Alpha', '4 - Beta', '5 - Production/Stable', '6 - Mature', '7 - Inactive']
spdx, lic_classifier = licenses[cfg['license']]

def _split(key): return cfg.get(key, '').split()
extras = {'hf': _split('hf_requirements')}                    # optional: Hugging Face datasets in drop_nb.pytorch
extras['dev'] = _split('dev_requirements') + extras['hf']     # the tests cover the optional extras too

setuptools.setup(
    name=cfg['lib_name'], version=cfg['version'], description=cfg['description'],
    long_description=(here/'README.md').read_text(encoding='utf-8'), long_description_content_type='text/markdown',
    author=cfg['author'], author_email=cfg['author_email'], license=spdx, license_files=['LICENSE'], url=cfg['git_url'],
    keywords=cfg['keywords'], python_requires=f">={cfg['min_python']}",
    packages=setuptools.find_packages(include=[cfg['lib_path'], f"{cfg['lib_path']}.*"]),
    include_package_data=True, zip_safe=False,
    install_requires=_split('requirements'), extras_require=extras,
    entry_points={'console_scripts': _split('console_scripts'),
                  'nbdev': [f"{cfg['lib_path']}={cfg['lib_path']}._modidx:d"]},
    classifiers=[f"Development Status :: {statuses[int(cfg['status'])-1]}", f"Intended Audience :: {cfg['audience']}",
                 lic_classifier, f"Natural Language :: {cfg['language']}", 'Programming Language :: Python :: 3'],
)
