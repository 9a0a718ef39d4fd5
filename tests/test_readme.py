"The commands the README and the results pages give are the ones the CLI accepts: each is parsed (not run) by its subcommand's parser."
import json, re, shlex
from pathlib import Path
import pytest
from cali_sketch import cli, data, preparecli, train, demo, pipeline, pretrained, infer, evalcli, compare, reproduce, finetune, average

ROOT = Path(__file__).resolve().parents[1]
PARSERS = {'prepare': preparecli._prepare_parser, 'train': train.train_parser, 'demo': demo._demo_parser,
           'infer': infer._infer_parser, 'eval': evalcli._eval_parser, 'compare': compare._compare_parser, 'reproduce': reproduce._reproduce_parser,
           'sketches': data._sketches_parser, 'weights': pretrained._weights_parser, 'finetune': finetune._finetune_parser, 'average': average._average_parser}

def _docs() -> dict:
    "{where: text} of the README, the GPU session page, the results pages and the notebooks' markdown and code (commands shown to readers)."
    out = {str(p.relative_to(ROOT)): p.read_text() for p in [ROOT/'README.md', ROOT/'scripts'/'gpu'/'README.md', *sorted((ROOT/'results').glob('*/README.md'))]}
    for nb in sorted((ROOT/'nbs').glob('*.ipynb')):
        out[str(nb.relative_to(ROOT))] = '\n'.join(''.join(c['source']) for c in json.loads(nb.read_text())['cells'])
    return out

def commands(text:str) -> list[str]:
    "Every `cali-sketch SUB ...` command line in `text`, backslash continuations joined, comments dropped."
    text = re.sub(r'\\\n\s*', ' ', text)
    return [m.group(1).split(' #')[0].strip() for m in re.finditer(r'^\s*(cali-sketch [a-z]+\b.*)$', text, re.M)]

DOC_COMMANDS = [(where, c) for where, text in _docs().items() for c in commands(text)]

def test_commands_found_and_parsers_cover_the_cli():
    assert set(PARSERS) == set(cli.COMMANDS), "a subcommand without a parser here: add it to PARSERS"
    subs = {c.split()[1] for _, c in DOC_COMMANDS}
    assert {'prepare', 'train', 'infer', 'eval', 'reproduce'} <= subs, subs
    assert [c.split() for c in commands("x\n  cali-sketch eval a \\\n   --data b   # note\n")] == [['cali-sketch', 'eval', 'a', '--data', 'b']]

@pytest.mark.parametrize('where,cmd', DOC_COMMANDS, ids=[f"{w}:{c[:60]}" for w, c in DOC_COMMANDS])
def test_documented_command_parses(where, cmd):
    sub, *args = shlex.split(cmd)[1:]
    assert sub in PARSERS, f"{where}: unknown subcommand in `{cmd}`"
    try: PARSERS[sub]().parse_args(args)
    except SystemExit as e: pytest.fail(f"{where}: `{cmd}` is rejected by `cali-sketch {sub}` (exit {e.code})")

def test_licence_file_matches_the_declared_licence():
    "settings.ini declares the licence setup.py puts in the package metadata; LICENSE holds that licence's text, and the README's licence table links it and says the weights' terms."
    import configparser
    cfg = configparser.ConfigParser(); cfg.read(ROOT/'settings.ini')
    assert cfg['DEFAULT']['license'] == 'apache2', "settings.ini's licence changed: replace LICENSE with its text"
    head = ' '.join((ROOT/'LICENSE').read_text().split()[:4])
    assert head == 'Apache License Version 2.0,', head
    sec = (ROOT/'README.md').read_text().split('## Licence and citation', 1)[1].split('\n## ', 1)[0]
    assert '[LICENSE](LICENSE)' in sec and 'non-commercial research use only' in sec and '1911.00426' in sec
    assert all('non-commercial research use only' in (ROOT/'weights'/f'{n}.md').read_text() for n in pretrained.available_weights())
